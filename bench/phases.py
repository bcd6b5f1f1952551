"""CPU seconds per phase of one check, in process: where 10x more declared tests go.

    python3 bench/phases.py RESULTS_DIR TRACKING_DIR [TRACKING_DIR ...]

The check's own pipeline entry (qualify.core.evaluate over the check's FileResults, one process),
with the CPU split where the reader hands a file's testcases to the matcher; then the outputs.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualify.app.check import gc_paused, read_tracking_file
from qualify.core.evaluate import Declarations, evaluate
from qualify.core.model import JOBS
from qualify.core.policy import PolicyConfig
from qualify.core.rules import DEFAULT_REAL_API_AREAS
from qualify.render.renderers import render
from qualify.render.report import Report
from qualify.results.read import FileResults
from qualify.workspace import Found, find


class _Timed:
    """The check's own FileResults, with the CPU split at each hand-over: inside the reader is
    "reading", back in evaluate (adding the file's kept testcases) is "matching"."""

    def __init__(self, inner: FileResults, lap) -> None:
        self.inner, self.lap = inner, lap

    def batches(self, filter_for):
        self.lap("matching")  # evaluate built the declared-title index before asking for the filters
        for batch in self.inner.batches(filter_for):
            self.lap("reading")
            yield batch
            self.lap("matching")


def phases(results: Path, tracking: Path) -> dict[str, float]:
    spent: dict[str, float] = {}
    clock = time.process_time()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.process_time()
        spent[name] = spent.get(name, 0.0) + now - clock
        clock = now

    with gc_paused():  # as collect does; the reading freezes what exists and collects what it makes
        files = find(["docs/issues/**/TRACKING.md"], tracking, what="TRACKING.md")
        reads = [read_tracking_file(f.real, f.display) for f in files]
        lap("TRACKING.md")
        config = PolicyConfig(today=dt.date(2026, 11, 25), real_api_areas=DEFAULT_REAL_API_AREAS, requested_issues=())
        plan = [(job, [_found(p) for p in sorted((results / job).glob("*.xml"))]) for job in JOBS]
        total = sum(f.size for _, found in plan for f in found)
        # One process, as the figures of docs/performance.md are per process (QUALIFY_WORKERS=1).
        timed = _Timed(FileResults(plan, total, results), lap)
        verdict = evaluate(Declarations(reads), timed, config)
        lap("policy")
        report = Report.of(verdict)
        for name in ("console", "json", "summary"):  # as `qualify check` writes them
            render(name, report)
        lap("output")
    gc.unfreeze()
    return spent


def _found(path: Path) -> Found:
    return Found(real=path, display=path.name, size=path.stat().st_size)


def main(argv: list[str]) -> int:
    os.environ["QUALIFY_WORKERS"] = "1"  # CPU per phase of one process
    results, trackings = Path(argv[0]), [Path(a) for a in argv[1:]]
    rows = {t.name: phases(results, t) for t in trackings}
    names = list(next(iter(rows.values())))
    print("| phase (CPU s) | " + " | ".join(rows) + " |")
    print("|---|" + "---:|" * len(rows))
    for name in [*names, "total"]:
        cells = [sum(r.values()) if name == "total" else r[name] for r in rows.values()]
        print(f"| {name} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
