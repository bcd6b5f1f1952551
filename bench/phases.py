"""CPU seconds per phase of one check, in process: where 10x more declared tests go.

    python3 bench/phases.py RESULTS_DIR TRACKING_DIR [TRACKING_DIR ...]

Same steps as qualify.app.check.collect and write_outputs (serial), timed one by one.
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qualify.app.check import _gc_paused, _json_text, read_tracking_file
from qualify.core.matching import Matcher
from qualify.core.model import JOBS, JobCounts
from qualify.core.policy import PolicyConfig, evaluate, select_defects
from qualify.core.rules import DEFAULT_REAL_API_AREAS
from qualify.render import console
from qualify.render.json_report import build_report
from qualify.results.junit import read_testcases
from qualify.workspace import expand


def phases(results: Path, tracking: Path) -> dict[str, float]:
    spent: dict[str, float] = {}
    clock = time.process_time()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.process_time()
        spent[name] = spent.get(name, 0.0) + now - clock
        clock = now

    with _gc_paused():  # as collect does, and the freeze below
        files = expand(["docs/issues/**/TRACKING.md"], tracking, what="TRACKING.md")
        reads = [read_tracking_file(p, d) for p, d in files]
        lap("TRACKING.md")
        config = PolicyConfig(today=dt.date(2026, 11, 25), real_api_areas=DEFAULT_REAL_API_AREAS, requested_issues=())
        defects, selection = select_defects(reads, config)
        matcher = Matcher(defects)
    gc.freeze()
    lap("matching")
    counts = {job: JobCounts() for job in JOBS}
    # As collect does: one keeper per job (it carries the near-miss state of that job), each file
    # read whole, then its kept cases added. Timing each case instead cost ~5 µs per kept case here.
    readers = {job: (matcher.keeper(job), matcher.captures(job)) for job in JOBS}
    for job in JOBS:
        keep, capture = readers[job]
        for path in sorted((results / job).glob("*.xml")):
            cases = list(read_testcases(str(path), path.name, job, counts[job], keep=keep, capture=capture))
            lap("reading")
            for case in cases:
                matcher.add(case)
            lap("matching")
    with _gc_paused():
        verdict = evaluate(reads, defects, selection, matcher.book, counts, config)
    lap("policy")
    with _gc_paused():  # as write_outputs
        console.render_text(verdict)
        _json_text(build_report(verdict), ())  # as `qualify check` writes it
    lap("output")
    gc.unfreeze()
    return spent


def main(argv: list[str]) -> int:
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
