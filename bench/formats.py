"""Benchmark each non-JUnit reader at scale against its own floor, in the same run.

    python3 bench/formats.py --sizes 100k,1M --rounds 3

For each format one results file of N tests is generated (seed 20: names, classes, a failure every
97th test, a skip every 89th, a line of output on every 10th), then read, each in its own process,
alternately:

* floor: the least any reader of that format must do. XML (NUnit 3, xUnit.net, TRX): a bare lxml
  iterparse counting the test elements; go test -json: a bare line scan counting `"pass"` events;
  CTRF: `json.load` of the whole file (the C parser; not streamed, so its memory grows with the file).
* qualify: `formats.read_testcases` (content detection included) with the keeper of 2,000 declared
  tests, as a check runs it; it must count exactly N tests.

Ratios are taken between medians of one run; peak RSS is the child's ru_maxrss. Flat memory shows as
the same qualify RSS at every size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SEED = 20
DEFAULT_OUT = Path(tempfile.gettempdir()) / "qualify-bench-formats"
FORMATS = ("nunit", "xunit", "trx", "ctrf", "gotest")
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike".split()


def _tests(n: int) -> Iterator[tuple[int, str, str, str, bool]]:
    """(index, class, method, outcome, has output) for n tests, the same for every format."""
    rnd = random.Random(SEED)  # noqa: S311 - a reproducible corpus, not a secret
    for i in range(n):
        cls = f"Acme.Proxy.Tests.Suite{i // 200}"
        method = f"{rnd.choice(WORDS)}_{rnd.choice(WORDS)}_{i}"
        outcome = "failed" if i % 97 == 0 else "skipped" if i % 89 == 0 else "passed"
        yield i, cls, method, outcome, i % 10 == 0


def _write(path: Path, chunks: Iterator[str]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        buf: list[str] = []
        for chunk in chunks:
            buf.append(chunk)
            if len(buf) >= 4096:
                fh.write("".join(buf))
                buf.clear()
        fh.write("".join(buf))


def gen_nunit(n: int) -> Iterator[str]:
    word = {"passed": "Passed", "failed": "Failed", "skipped": "Skipped"}
    yield f'<?xml version="1.0" encoding="utf-8"?>\n<test-run id="2" testcasecount="{n}">\n'
    yield '<test-suite type="Assembly" name="Acme.Proxy.Tests.dll">\n'
    current = None
    for i, cls, method, outcome, out in _tests(n):
        if cls != current:
            if current is not None:
                yield "</test-suite>\n"
            yield f'<test-suite type="TestFixture" name="{cls.rsplit(".", 1)[1]}" fullname="{cls}">\n'
            current = cls
        body = f"<output><![CDATA[request {i} -> 200\n]]></output>" if out else ""
        if outcome == "failed":
            body += "<failure><message><![CDATA[Expected 1 but was 2]]></message></failure>"
        yield (
            f'<test-case id="0-{i}" name="{method}" fullname="{cls}.{method}" methodname="{method}" '
            f'classname="{cls}" runstate="Runnable" result="{word[outcome]}" duration="0.001" asserts="1">'
            f"{body}</test-case>\n"
        )
    yield "</test-suite>\n</test-suite>\n</test-run>\n"


def gen_xunit(n: int) -> Iterator[str]:
    word = {"passed": "Pass", "failed": "Fail", "skipped": "Skip"}
    yield '<?xml version="1.0" encoding="utf-8"?>\n<assemblies>\n<assembly name="Acme.Proxy.Tests.dll">\n'
    current = None
    for _i, cls, method, outcome, out in _tests(n):
        if cls != current:
            if current is not None:
                yield "</collection>\n"
            yield f'<collection name="Test collection for {cls}">\n'
            current = cls
        body = "<output>request -&gt; 200</output>" if out else ""
        if outcome == "failed":
            body += (
                '<failure exception-type="Xunit.Sdk.EqualException"><message>Assert.Equal() Failure</message></failure>'
            )
        attrs = f'name="{cls}.{method}" type="{cls}" method="{method}" time="0.001" result="{word[outcome]}"'
        yield f"<test {attrs}>{body}</test>\n"
    yield "</collection>\n</assembly>\n</assemblies>\n"


def gen_trx(n: int) -> Iterator[str]:
    word = {"passed": "Passed", "failed": "Failed", "skipped": "NotExecuted"}
    yield '<?xml version="1.0" encoding="utf-8"?>\n<TestRun id="r" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">\n<Results>\n'
    for i, cls, method, outcome, out in _tests(n):
        body = f"<Output><StdOut>request {i} -&gt; 200</StdOut></Output>" if out else ""
        yield (
            f'<UnitTestResult executionId="e{i}" testId="t{i}" testName="{cls}.{method}" computerName="ci" '
            f'duration="00:00:00.001" outcome="{word[outcome]}" testListId="l">{body}</UnitTestResult>\n'
        )
    yield "</Results>\n<TestDefinitions>\n"
    for i, cls, method, _outcome, _out in _tests(n):
        yield (
            f'<UnitTest name="{method}" storage="acme.proxy.tests.dll" id="t{i}"><Execution id="e{i}"/>'
            f'<TestMethod codeBase="Acme.Proxy.Tests.dll" className="{cls}" name="{method}"/></UnitTest>\n'
        )
    yield "</TestDefinitions>\n</TestRun>\n"


def gen_ctrf(n: int) -> Iterator[str]:
    yield '{"reportFormat":"CTRF","specVersion":"0.0.0","results":{"tool":{"name":"jest"},"summary":{},"tests":[\n'
    for i, cls, method, outcome, out in _tests(n):
        test = {
            "name": method.replace("_", " "),
            "status": outcome,
            "duration": 1,
            "suite": f"proxy.test.js > {cls.rsplit('.', 1)[1]}",
            "filePath": "tests/proxy.test.js",
            "retries": 0,
            "flaky": False,
        }
        if out:
            test["stdout"] = [f"request {i} -> 200"]
        yield ("," if i else "") + json.dumps(test) + "\n"
    yield "]}}\n"


def gen_gotest(n: int) -> Iterator[str]:
    word = {"passed": "pass", "failed": "fail", "skipped": "skip"}
    t = '"Time":"2026-11-25T06:44:00.000000000Z"'
    for _i, cls, method, outcome, out in _tests(n):
        pkg = "acme.dev/proxy/" + cls.rsplit(".", 1)[1].lower()
        name = "Test" + method.title().replace("_", "")
        yield f'{{{t},"Action":"run","Package":"{pkg}","Test":"{name}"}}\n'
        yield f'{{{t},"Action":"output","Package":"{pkg}","Test":"{name}","Output":"=== RUN   {name}\\n"}}\n'
        if out:
            line = "    proxy_test.go:12: request -> 200\\n"
            yield f'{{{t},"Action":"output","Package":"{pkg}","Test":"{name}","Output":"{line}"}}\n'
        yield f'{{{t},"Action":"{word[outcome]}","Package":"{pkg}","Test":"{name}","Elapsed":0}}\n'


GENERATORS: dict[str, Callable[[int], Iterator[str]]] = {
    "nunit": gen_nunit,
    "xunit": gen_xunit,
    "trx": gen_trx,
    "ctrf": gen_ctrf,
    "gotest": gen_gotest,
}
SUFFIX = {"nunit": "xml", "xunit": "xml", "trx": "trx", "ctrf": "json", "gotest": "jsonl"}

# The floors, each run as `python -c FLOOR path`; each prints the number of tests it saw.
_ITERPARSE = (
    "from lxml import etree\nn=0\nfor _,e in etree.iterparse(P,events=('end',),tag=%r):\n n+=1;e.clear()\nprint(n)"
)
FLOORS = {
    "nunit": _ITERPARSE % "test-case",
    "xunit": _ITERPARSE % "test",
    "trx": _ITERPARSE % "{*}UnitTestResult",
    "ctrf": "import json\nprint(len(json.load(open(P,'rb'))['results']['tests']))",
    "gotest": "n=0\nfor line in open(P,'rb'):\n n+=line.find(b'\"Action\":\"run\"')>=0\nprint(n)",
}
# The reader, as a check calls it: the keeper of 2,000 declared tests (none of which match).
READER = """
import sys
sys.path.insert(0, R)
from qualify.core.matching import Matcher
from qualify.core.model import CoverageEntry, Defect, JobCounts
from qualify.results.formats import read_testcases
entries = tuple(CoverageEntry(test=f"declared scenario number {i} completes", file=None, kind="regression",
                              jobs=("real",), line=1) for i in range(2000))
m = Matcher([Defect(issue=1, title="t", areas=(), partner=None, scenario=None, coverage=entries, waiver=None,
                    tracking="t", line=1)])
counts = JobCounts()
kept = sum(1 for _ in read_testcases(P, "bench", "real", counts, m.keeper("real")))
print(counts.testcases, counts.failed, counts.skipped, kept)
"""


def timed(code: str, path: Path) -> tuple[float, float, str]:
    prelude = f"P={str(path)!r}\nR={str(REPO)!r}\n"
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", prelude + code], stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        out.seek(0)
        text = out.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"exited {os.waitstatus_to_exitcode(status)}:\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, text


def expected_counts(n: int) -> tuple[int, int, int]:
    failed = sum(1 for i in range(n) if i % 97 == 0)
    skipped = sum(1 for i in range(n) if i % 97 and i % 89 == 0)
    return n, failed, skipped


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1000, "m": 1_000_000}.get(text[-1:], 1)
    return int(text.rstrip("km")) * mult


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--sizes", default="100k,1M")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--keep", action="store_true", help="keep the generated files")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"# qualify format benchmark: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start, {args.rounds} rounds"
    )
    print()
    print("| format | tests | MB | floor s | qualify s | × floor | floor RSS MB | qualify RSS MB | qualify µs/test |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for fmt in args.formats.split(","):
        for size in (parse_size(s) for s in args.sizes.split(",")):
            path = out / f"{fmt}-{size}.{SUFFIX[fmt]}"
            if not path.exists():
                _write(path, GENERATORS[fmt](size))
            floor, reader = [], []
            floor_rss, reader_rss = [], []
            for r in range(args.rounds):
                for which in ("floor", "qualify") if r % 2 == 0 else ("qualify", "floor"):
                    if which == "floor":
                        secs, rss, text = timed(FLOORS[fmt], path)
                        if int(text.split()[0]) != size:
                            raise SystemExit(f"{fmt} floor counted {text.split()[0]} tests, not {size}")
                        floor.append(secs)
                        floor_rss.append(rss)
                    else:
                        secs, rss, text = timed(READER, path)
                        got = tuple(int(x) for x in text.split()[:3])
                        if got != expected_counts(size):
                            raise SystemExit(f"{fmt}: qualify counted {got}, expected {expected_counts(size)}")
                        reader.append(secs)
                        reader_rss.append(rss)
            f, q = statistics.median(floor), statistics.median(reader)
            print(
                f"| {fmt} | {size:,} | {path.stat().st_size / 1e6:.0f} | {f:.2f} | {q:.2f} | {q / f:.2f} | "
                f"{max(floor_rss):.0f} | {max(reader_rss):.0f} | {q / size * 1e6:.2f} |",
                flush=True,
            )
            if not args.keep:
                path.unlink()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
