"""Memory does not grow with the number of testcases read (issue #6): a guard, not a benchmark.

Reading 100k testcases must peak about where reading 10k does, both in Python allocations
(tracemalloc: nothing collects per-testcase objects) and in the process's peak RSS (libxml2's tree
is released as it streams; tracemalloc cannot see C allocations). No wall-clock asserts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

from qualify.core.model import JobCounts
from qualify.results.junit import read_testcases

ROOT = Path(__file__).resolve().parent.parent


def _write_results(path: Path, count: int) -> None:
    """One file, one suite: the hard case, since a file-at-a-time reader would hold all of it."""
    log = "[proxy] &lt;- response.output_audio.delta bytes=4800 seq=1\n" * 4
    parts = ['<?xml version="1.0"?>\n<testsuites><testsuite name="orders" file="e2e/orders.spec.ts">\n']
    for i in range(count):
        name = f'name="orders › keeps the order status {i}" classname="e2e/orders.spec.ts" time="0.01"'
        if i % 100 == 0:
            parts.append(f'<testcase {name}><failure message="boom">{log}</failure></testcase>\n')
        elif i % 20 == 0:
            parts.append(f"<testcase {name}><skipped/></testcase>\n")
        elif i % 2:
            parts.append(f"<testcase {name}><system-out>{log}</system-out></testcase>\n")
        else:
            parts.append(f"<testcase {name}/>\n")
    parts.append("</testsuite></testsuites>\n")
    path.write_text("".join(parts), encoding="utf-8")


def _keep(name: str, _element: object = None) -> bool:
    return name.endswith(" 7")  # a few kept testcases, like declared tests


def _traced_peak(path: Path) -> tuple[int, int]:
    counts = JobCounts()
    tracemalloc.start()
    try:
        kept = sum(1 for _ in read_testcases(str(path), path.name, "real", counts, _keep))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert kept == 1 and counts.failed == counts.testcases // 100
    return peak, counts.testcases


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child would report the
# test process's own peak (it just built a 25 MB string).
_RSS_SCRIPT = """
import json, sys
from qualify.results.junit import read_testcases
from qualify.core.model import JobCounts
counts = JobCounts()
for _ in read_testcases(sys.argv[1], "r.xml", "real", counts, lambda n, e: False):
    pass
with open("/proc/self/status") as fh:
    hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
print(json.dumps({"rss_kb": hwm, "testcases": counts.testcases}))
"""


def _peak_rss_mb(path: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(path)], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)["rss_kb"] / 1024


def test_memory_stays_flat_from_10k_to_100k_testcases(tmp_path):
    small, big = tmp_path / "small.xml", tmp_path / "big.xml"
    _write_results(small, 10_000)
    _write_results(big, 100_000)
    assert big.stat().st_size > 20_000_000  # the file is far bigger than the allowed growth below

    (peak_small, n_small), (peak_big, n_big) = _traced_peak(small), _traced_peak(big)
    assert (n_small, n_big) == (10_000, 100_000)
    # Python allocations: 10x the testcases may not cost more than a small constant more.
    assert peak_big < 1.5 * peak_small + 256 * 1024, (peak_small, peak_big)

    rss_small, rss_big = _peak_rss_mb(small), _peak_rss_mb(big)
    # Holding the parsed tree of the 25 MB file would add well over 50 MB.
    assert rss_big - rss_small < 10, (rss_small, rss_big)


_RSS_CAPTURE_SCRIPT = """
import json, sys
from qualify.results.junit import read_testcases
from qualify.core.model import JobCounts
counts = JobCounts()
kept = list(read_testcases(sys.argv[1], "r.xml", "real", counts, lambda n, e: True, capture=True))
with open("/proc/self/status") as fh:
    hwm = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
print(json.dumps({"rss_kb": hwm, "output": len(kept[0].output)}))
"""


def test_a_huge_text_node_is_never_held(tmp_path):
    # No tree (issue #18): a 60 MB system-out streams past, and a kept testcase's captured evidence
    # holds its bounded head and tail only.
    big = tmp_path / "text.xml"
    with big.open("w", encoding="utf-8") as fh:
        fh.write('<testsuites><testsuite name="s"><testcase name="t"><system-out>')
        for _ in range(60):
            fh.write("x" * 1_000_000)
        fh.write("</system-out></testcase></testsuite></testsuites>")
    small = tmp_path / "small.xml"
    _write_results(small, 1_000)
    run = [sys.executable, "-c", _RSS_CAPTURE_SCRIPT]
    out_big = json.loads(subprocess.run([*run, str(big)], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
    out_small = json.loads(
        subprocess.run([*run, str(small)], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    )
    from qualify.results.junit import MAX_OUTPUT_CHARS

    assert out_big["output"] <= MAX_OUTPUT_CHARS + 3
    assert (out_big["rss_kb"] - out_small["rss_kb"]) / 1024 < 15, (out_small, out_big)
