"""Benchmark `qualify check` against the XML floor and the junitparser baseline.

    python3 bench/run.py --sizes 10k,100k,1M --rounds 3
    python3 bench/run.py --sizes 1M --shapes base,suffixes,paths,params,mentions --rounds 3

Every title shape of bench/gen_corpus.py (`--shapes`) is read at every size, with its own declarations.

Each tool runs as its own process, alternately (the order rotates every round), so that noise from
other work on the machine spreads over all of them; ratios are taken between medians of one run.
Wall time is measured around the child; peak RSS is the child's ru_maxrss from os.wait4.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import gen_corpus  # noqa: E402


@dataclass
class Runs:
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def timed(
    cmd: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)
) -> tuple[float, float, str, float]:
    """Wall seconds, peak RSS in MB, stdout and CPU seconds (user + system) of one child process."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        out.seek(0)
        text = out.read().decode()
    if proc.returncode not in ok:
        raise SystemExit(f"{cmd[:3]} exited {proc.returncode}:\n{err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, text, usage.ru_utime + usage.ru_stime


def qualify_cmd(results: Path, tracking: Path, report: Path) -> list[str]:
    return [
        sys.executable, str(REPO / "entrypoint.py"), "check",
        "--workspace", str(tracking), "--allow-outside-workspace", "--no-annotations",
        "--mock-results", str(results / "mock" / "*.xml"), "--real-results", str(results / "real" / "*.xml"),
        "--json-report", str(report), "--today", "2026-11-25",
    ]  # fmt: skip


def check_qualify_report(report: Path, expected: int) -> None:
    # Only the report's last key, `results`: loading a 13 MB report whole would raise this process's
    # peak RSS, which Linux carries over into every child's ru_maxrss measured after it.
    with report.open("rb") as fh:
        fh.seek(max(0, report.stat().st_size - 65536))
        tail = fh.read().decode("utf-8", "replace")
    start = tail.rfind('"results":')
    results = None
    if start >= 0:
        at = start + len('"results":')
        at += len(tail[at:]) - len(tail[at:].lstrip())  # the indented report has a space here
        results = json.JSONDecoder().raw_decode(tail, at)[0]
    if results is None:
        results = json.loads(report.read_text())["results"]
    total = sum(int(j["testcases"]) for j in results.values())
    if total != expected:
        raise SystemExit(f"qualify counted {total} testcases, the corpus has {expected}")


def bench_size(out: Path, size: int, tracking: Path, rounds: int, parallel: bool, shape: str) -> dict[str, Runs]:
    results = gen_corpus.write_results(out, gen_corpus.SEED, size, shape)
    files = sorted(str(p) for p in results.glob("*/*.xml"))
    report = out / "qualify-report.json"
    tools: dict[str, tuple[list[str], dict[str, str] | None, tuple[int, ...]]] = {
        "floor": ([sys.executable, str(BENCH / "floor.py"), *files], None, (0,)),
        "qualify": (qualify_cmd(results, tracking, report), {**os.environ, "QUALIFY_WORKERS": "1"}, (0, 1)),
        "junitparser": ([sys.executable, str(BENCH / "baseline.py"), *files], None, (0,)),
    }
    if parallel:
        tools["qualify -j2"] = (qualify_cmd(results, tracking, report), {**os.environ, "QUALIFY_WORKERS": "2"}, (0, 1))
    runs = {name: Runs() for name in tools}
    names = list(tools)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        for name in order:
            cmd, env, ok = tools[name]
            secs, rss, text, cpu = timed(cmd, env, ok)
            runs[name].seconds.append(secs)
            runs[name].cpu.append(cpu)
            runs[name].rss_mb.append(rss)
            if name in ("floor", "junitparser") and int(text.split()[0]) != size:
                raise SystemExit(f"{name} counted {text.split()[0]} testcases, the corpus has {size}")
            if name.startswith("qualify"):
                check_qualify_report(report, size)
    return runs


def fmt_size(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=gen_corpus.DEFAULT_OUT, help="corpus directory, generated if missing")
    ap.add_argument("--sizes", default="10k,100k,1M")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--declared", type=int, default=2000, help="declared tests (in 500 TRACKING.md files)")
    ap.add_argument("--no-parallel", action="store_true", help="skip the QUALIFY_WORKERS=2 runs")
    ap.add_argument("--no-linearity", action="store_true", help="skip the 10x declared tests run")
    ap.add_argument("--shapes", default="base", help=f"title shapes, of {', '.join(gen_corpus.SHAPES)}")
    args = ap.parse_args(argv)
    out = Path(args.out)
    sizes = [gen_corpus.parse_size(s) for s in args.sizes.split(",")]
    shapes = args.shapes.split(",")
    for shape in shapes:
        if shape not in gen_corpus.SHAPES:
            ap.error(f"unknown shape {shape!r}; known: {', '.join(gen_corpus.SHAPES)}")
    tracking = gen_corpus.write_tracking(out, gen_corpus.SEED, args.declared)

    print(f"# qualify benchmark: {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start, {args.rounds} rounds")  # fmt: skip
    print()
    print(
        "| shape | tool | testcases | MB | s median | s min | s max | MB/s | peak RSS MB | × floor | × junitparser "
        "| CPU s median | CPU × floor | load |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    all_runs: dict[int, dict[str, Runs]] = {}
    for shape in shapes:
        shape_tracking = gen_corpus.write_tracking(out, gen_corpus.SEED, args.declared, shape=shape)
        for size in sizes:
            runs = bench_size(out, size, shape_tracking, args.rounds, not args.no_parallel, shape)
            load = os.getloadavg()[0]  # other work on the machine during these runs (1-minute average)
            if shape == "base":
                all_runs[size] = runs
            results = gen_corpus.write_results(out, gen_corpus.SEED, size, shape)
            mb = sum(p.stat().st_size for p in results.glob("*/*.xml")) / 1e6
            floor, base = runs["floor"].median, runs["junitparser"].median
            floor_cpu = statistics.median(runs["floor"].cpu)
            for name, r in runs.items():
                cpu = statistics.median(r.cpu)
                print(
                    f"| {shape} | {name} | {fmt_size(size)} | {mb:.0f} | {r.median:.2f} | {min(r.seconds):.2f} | "
                    f"{max(r.seconds):.2f} | {mb / r.median:.0f} | {max(r.rss_mb):.0f} | "
                    f"{r.median / floor:.2f} | {r.median / base:.2f} | {cpu:.2f} | {cpu / floor_cpu:.2f} | "
                    f"{load:.2f} |",
                    flush=True,
                )
    if len(sizes) > 1 and "base" in shapes:
        lo, hi = sizes[0], sizes[-1]
        print()
        for name in ("qualify", "qualify -j2", "junitparser", "floor"):
            if name in all_runs[lo]:
                a, b = max(all_runs[lo][name].rss_mb), max(all_runs[hi][name].rss_mb)
                slope = (b - a) / ((hi - lo) / 100_000)
                print(f"RSS slope {name}: {a:.0f} MB at {fmt_size(lo)} → {b:.0f} MB at {fmt_size(hi)} "
                      f"({slope:+.2f} MB per 100k testcases)")  # fmt: skip
    if not args.no_linearity and "base" in shapes:
        size = sizes[-1]
        ten = gen_corpus.write_tracking(out, gen_corpus.SEED, args.declared * 10)
        # The same 10x, every declared test present in the results (needs >= 100 cases per file).
        ten_found = gen_corpus.write_tracking(out, gen_corpus.SEED, args.declared * 10, all_found=True)
        results = out / f"results-{size}"
        report = out / "qualify-report.json"
        env = {**os.environ, "QUALIFY_WORKERS": "1"}
        print()
        variants = (
            (ten, True, "half of them missing from the results, with the JSON report (the action's default)"),
            (ten, False, "half of them missing from the results, without the JSON report"),
            (ten_found, True, "all of them found, with the JSON report"),
        )
        for big_tracking, with_json, label in variants:
            small, big = Runs(), Runs()
            for _ in range(args.rounds):
                for track, runs in ((tracking, small), (big_tracking, big)):
                    cmd = qualify_cmd(results, track, report)
                    if not with_json:
                        cmd = cmd[: cmd.index("--json-report")] + cmd[cmd.index("--json-report") + 2 :]
                    secs, rss, _, cpu = timed(cmd, env, (0, 1))
                    runs.seconds.append(secs)
                    runs.cpu.append(cpu)
                    runs.rss_mb.append(rss)
            extra = args.declared * 9
            per_wall = (big.median - small.median) / extra * 1e6
            per_cpu = (statistics.median(big.cpu) - statistics.median(small.cpu)) / extra * 1e6
            print(
                f"Cost per declared test at {fmt_size(size)} testcases, {label}: {args.declared} declared tests "
                f"{small.median:.2f} s, {args.declared * 10} declared {big.median:.2f} s: "
                f"**{per_wall:.0f} µs wall, {per_cpu:.0f} µs CPU per declared test**; "
                f"peak RSS {max(small.rss_mb):.0f} → {max(big.rss_mb):.0f} MB (load {os.getloadavg()[0]:.2f})"
            )
        print(f"\nWhere the time goes at {fmt_size(size)} testcases (bench/phases.py, in process, serial):\n")
        sys.stdout.flush()
        subprocess.run(
            [sys.executable, str(BENCH / "phases.py"), str(results), str(tracking), str(ten), str(ten_found)],
            check=True,
        )
    tiny = REPO / "examples"
    start = Runs()
    helps = Runs()
    for _ in range(max(args.rounds, 5)):
        helps.seconds.append(timed([sys.executable, str(REPO / "entrypoint.py"), "--help"])[0])
        start.seconds.append(timed([
            sys.executable, str(REPO / "entrypoint.py"), "check", "--workspace", str(tiny), "--no-annotations",
            "--mock-results", "runs/qualified/mock/*.xml", "--real-results", "runs/qualified/real/*.xml",
        ], ok=(0, 1))[0])  # fmt: skip
    print(f"Start-up: `qualify --help` {helps.median:.3f} s (max {max(helps.seconds):.3f}), "
          f"tiny check (examples/runs/qualified) {start.median:.3f} s (max {max(start.seconds):.3f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
