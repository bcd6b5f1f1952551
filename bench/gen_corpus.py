"""Generate a deterministic synthetic JUnit corpus and TRACKING.md declarations for the benchmark.

Layout under OUT (default /tmp/qualify-bench):
  results-<N>/{mock,real}/*.xml   N testcases in 200 files, runner dialects mixed
  tracking-<D>/docs/issues/ISSUE-<k>/TRACKING.md   D declared tests in 500 files
  results-<shape>-<N>/, tracking-<shape>-<D>/   the same for the other title shapes (SHAPES)

Title shapes (`--shapes`); `base` is the corpus of issue #6, the others are the shapes of issue #18
that nobody tuned the matcher for:
  base       `<verb> <object> <qualifier> case-<n>`: a case number ends most titles;
  suffixes   most titles end with the same words (`… (USE_REAL_APIS=1)`, `… holds under load`,
             `… works`): what tells them apart comes first, the declared ones end the same way;
  paths      describe paths four levels deep and titles twice as long;
  params     every test in 8 parametrisations (`title[p1-2]`), declared without [params];
  mentions   a third of the titles mention a declared issue (`Issue #1234: …`), and a pool of
             smoke tests recurs in every file, declared (each declared test matches many testcases).

Each file's cases come from a generator seeded by (seed, file index) and drawn in order, so the
first cases of a file are the same at every size: declared tests name real cases at all sizes.
Nothing here is committed; the corpus is large (1M testcases is about 300 MB).
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

FILES = 200
SEED = 6
DEFAULT_OUT = "/tmp/qualify-bench"  # noqa: S108 - a scratch corpus, never committed
TRACKING_FILES = 500
DIALECTS = ("jest", "playwright", "pytest", "surefire", "bare")
STABLE_PREFIX = 50  # cases per file that exist at every size (10k / 200)

_VERBS = "returns rejects retries streams forwards keeps drops resumes closes opens sends caches refunds".split()
_OBJECTS = (
    "the order status",
    "an expired card",
    "the function call",
    "session.update",
    "the audio buffer",
    "a partial transcript",
    "the websocket frame",
    "a duplicate event",
    "the upstream call_id",
    "the refund request",
    "an empty cart",
    "the retry budget",
    "the prompt update",
    "a late response.done",
)
_QUALS = (
    "after a reconnect",
    "when the API is slow",
    "under load",
    "with a stale token",
    "on the first turn",
    "before text.done",
    "for a guest user",
    "in the EU region",
    "with unicode input",
    "when offline",
)
_LOG_LINES = (
    "[proxy] upstream connected session=sess_{n:06d} model=realtime-preview",
    "[proxy] -> session.update voice=alloy turn_detection=server_vad",
    "[proxy] <- response.output_audio.delta bytes=4800 seq={n}",
    "[proxy] <- response.output_text.done item=item_{n:05d}",
    "[backend] GET /orders/{n} 200 12ms",
    "WARN retrying request attempt=2 backoff=250ms",
    "DEBUG event queue depth=3 held=session.update",
)
_STACK = (
    "Error: expect(received).toBe(expected) // Object.is equality\n\n"
    'Expected: "PromptUpdated"\nReceived: "Error"\n'
    "    at Object.<anonymous> (tests/integration/openai-proxy-integration.test.js:{n}:23)\n"
    "    at Promise.then.completed (node_modules/jest-circus/build/utils.js:298:28)\n"
    "    at new Promise (<anonymous>)\n"
    "    at callAsyncCircusFn (node_modules/jest-circus/build/utils.js:231:10)\n"
    "    at _callCircusTest (node_modules/jest-circus/build/run.js:316:40)"
)


@dataclass(frozen=True, slots=True)
class Case:
    title: str
    outcome: str  # passed, failed, skipped, flaky
    log: str | None
    body: str | None
    params: str = ""  # [params] after the title in the name, not in the declared title

    @property
    def name(self) -> str:
        return self.title + self.params


SHAPES = ("base", "suffixes", "paths", "params", "mentions")
_ENDINGS = ("(USE_REAL_APIS=1)", "holds under load", "works", "against the real API (USE_REAL_APIS=1)")
_PARAMS_PER_TEST = 8
_SMOKE = 200  # recurring smoke-test titles (mentions shape)
ISSUES = 500  # declared issues: 1000 .. 1499, one per TRACKING.md


def _smoke(k: int) -> str:
    return f"smoke {k}: {_VERBS[k % len(_VERBS)]} {_OBJECTS[k % len(_OBJECTS)]}"


def _title(rng: random.Random, shape: str = "base") -> str:
    core = f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_QUALS)}"
    if shape == "suffixes":
        if rng.random() < 0.8:
            return f"step {rng.randrange(10**6)}: {core} {rng.choice(_ENDINGS)}"
    elif shape == "paths":
        then = f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_QUALS)}"
        return f"{core} and then {then} case-{rng.randrange(10**6)}"
    elif shape == "params":
        return f"test_{core.replace(' ', '_').replace('.', '_')}_{rng.randrange(10**6)}"
    elif shape == "mentions":
        r = rng.random()
        if r < 0.1:
            return _smoke(rng.randrange(_SMOKE))
        if r < 0.4:
            return f"Issue #{1000 + rng.randrange(ISSUES)}: {core} case-{rng.randrange(10**6)}"
    # A case number ends most titles, like parametrised or table-driven tests; it keeps the
    # declared tests' last words as specific as real titles are.
    return f"{core} case-{rng.randrange(10**6)}"


def cases(seed: int, file_index: int, count: int, shape: str = "base") -> Iterator[Case]:
    rng = random.Random(f"{seed}:{file_index}" if shape == "base" else f"{seed}:{shape}:{file_index}")  # noqa: S311 - reproducible data, not secrets
    title = ""
    for j in range(count):
        if shape != "params":
            title = _title(rng, shape)
        elif j % _PARAMS_PER_TEST == 0:
            title = _title(rng, shape)
        r = rng.random()
        # 5% skipped, 1% failed, 0.5% flaky (passed on rerun); the rest passed.
        outcome = "skipped" if r < 0.05 else "failed" if r < 0.06 else "flaky" if r < 0.065 else "passed"
        n = rng.randrange(10**5)
        log = None
        if rng.random() < 0.45:
            log = "\n".join(rng.choice(_LOG_LINES).format(n=n + i) for i in range(rng.randrange(2, 10)))
        body = _STACK.format(n=n % 900 + 10) if outcome in ("failed", "flaky") else None
        params = f"[p{j % _PARAMS_PER_TEST}-{n % 7}]" if shape == "params" else ""
        yield Case(title, outcome, log, body, params)


def _out(log: str | None, tag: str = "system-out") -> str:
    return f"<{tag}>{escape(log)}</{tag}>" if log else ""


def _cdata_out(log: str | None) -> str:
    return f"<system-out><![CDATA[{log}]]></system-out>" if log else ""


def _result(case: Case, dialect: str) -> str:
    if case.outcome == "skipped":
        if dialect == "pytest":
            return (
                '<skipped type="pytest.skip" message="needs USE_REAL_APIS=1">'
                "tests/conftest.py:41: needs USE_REAL_APIS=1</skipped>"
            )
        return "<skipped/>"
    if case.outcome == "failed":
        msg = quoteattr(case.body.splitlines()[0] if case.body else "failed")
        if dialect == "surefire":
            return (
                f'<failure message={msg} type="org.opentest4j.AssertionFailedError">{escape(case.body or "")}</failure>'
                f'<rerunFailure message={msg} type="org.opentest4j.AssertionFailedError">'
                f"<stackTrace>{escape(case.body or '')}</stackTrace></rerunFailure>"
            )
        if dialect == "playwright":
            return f'<failure message={msg} type="FAILURE"><![CDATA[{case.body}]]></failure>'
        return f"<failure message={msg}>{escape(case.body or '')}</failure>"
    if case.outcome == "flaky":
        if dialect == "surefire":
            return (
                '<flakyFailure message="expected: &lt;200&gt; but was: &lt;503&gt;" type="java.lang.AssertionError">'
                f"<stackTrace>{escape(case.body or '')}</stackTrace>{_out(case.log)}</flakyFailure>"
            )
        return ""
    return ""


def _testcase(case: Case, dialect: str, file_index: int, describe: str) -> str:
    fid = f"{file_index:03d}"
    if dialect == "jest":
        # jest-junit defaults: classname and name are both "{describe} {title}".
        full = quoteattr(f"{describe} {case.name}")
        return f'<testcase classname={full} name={full} time="0.004">{_result(case, dialect)}</testcase>\n'
    if dialect == "playwright":
        props = '<properties><property name="issue" value="#462"></property></properties>' if case.log else ""
        return (
            f'<testcase name={quoteattr(f"{describe} › {case.name}")} classname="e2e/flow-{fid}.spec.ts" '
            f'time="0.731">\n{props}{_result(case, dialect)}{_cdata_out(case.log)}\n</testcase>\n'
        )
    if dialect == "pytest":
        return (
            f'<testcase classname="tests.api.test_orders_{fid}.TestOrders" name={quoteattr(case.name)} '
            f'time="0.012">{_result(case, dialect)}{_out(case.log)}</testcase>\n'
        )
    if dialect == "surefire":
        return (
            f'<testcase name={quoteattr(case.name)} classname="com.acme.orders.OrderService{fid}Test" '
            f'time="0.021">{_result(case, dialect)}{_out(case.log)}</testcase>\n'
        )
    return (
        f'<testcase classname="orders.{describe.replace(" ", "_")}" name={quoteattr(case.name)} time="0.1">'
        f"{_result(case, dialect)}{_out(case.log)}</testcase>\n"
    )


def _describe(shape: str, fid: str, block: int, dialect: str) -> str:
    """The describe path of a block, as the dialect joins it (Playwright ` › `, jest-junit spaces)."""
    if shape != "paths":
        return f"orders {fid} block {block}"
    levels = [f"Orders {fid}", f"Checkout block {block}", "Payments with saved cards", "Retries and timeouts"]
    return " › ".join(levels) if dialect == "playwright" else " ".join(levels)


def write_file(path: Path, seed: int, file_index: int, count: int, shape: str = "base") -> None:
    dialect = DIALECTS[file_index % len(DIALECTS)]
    fid = f"{file_index:03d}"
    suites = 5  # describe blocks per file
    with path.open("w", encoding="utf-8") as fh:
        if dialect == "surefire":
            fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            fh.write(
                '<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                f'name="com.acme.orders.OrderService{fid}Test" time="12.5" tests="{count}" errors="0" skipped="0" '
                'failures="0">\n<properties><property name="java.version" value="21.0.2"/>'
                '<property name="os.name" value="Linux"/></properties>\n'
            )
            for case in cases(seed, file_index, count, shape):
                fh.write(_testcase(case, dialect, file_index, ""))
            fh.write("</testsuite>\n")
            return
        if dialect == "bare":
            fh.write(f'<testsuite name="orders-{fid}" tests="{count}" failures="0" errors="0">\n')
            for j, case in enumerate(cases(seed, file_index, count, shape)):
                describe = ("checkout.payments.retries." if shape == "paths" else "") + f"block {j % suites}"
                fh.write(_testcase(case, dialect, file_index, describe))
            fh.write("</testsuite>\n")
            return
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write(f'<testsuites name="{dialect} tests" tests="{count}" failures="0" errors="0" time="98.1">\n')
        per_suite = -(-count // suites)
        gen = cases(seed, file_index, count, shape)
        for s in range(suites):
            describe = _describe(shape, fid, s, dialect)
            suite_name = f"e2e/flow-{fid}.spec.ts" if dialect == "playwright" else describe
            if dialect == "pytest":
                suite_name = "pytest"
            fh.write(
                f'<testsuite name={quoteattr(suite_name)} tests="{per_suite}" time="3.2" '
                'timestamp="2026-11-25T06:51:06">\n'
            )
            for _, case in zip(range(per_suite), gen, strict=False):
                fh.write(_testcase(case, dialect, file_index, describe))
            if dialect == "jest":
                fh.write("<system-out><![CDATA[console.log\n    upstream connected\n]]></system-out>\n")
            fh.write("</testsuite>\n")
        fh.write("</testsuites>\n")


def _named(kind: str, shape: str, n: int) -> str:
    return f"{kind}-{n}" if shape == "base" else f"{kind}-{shape}-{n}"


def write_results(out: Path, seed: int, total: int, shape: str = "base") -> Path:
    target = out / _named("results", shape, total)
    done = target / ".complete"
    if done.exists():
        return target
    per_file = total // FILES
    for i in range(FILES):
        job = "mock" if i % 2 == 0 else "real"
        d = target / job
        d.mkdir(parents=True, exist_ok=True)
        write_file(d / f"results-{i:03d}.xml", seed, i, per_file, shape)
    done.write_text("ok\n")
    return target


def _declared_titles(seed: int, count: int, prefix: int = STABLE_PREFIX, shape: str = "base") -> list[tuple[str, int]]:
    """(declared title, file index): existing stable cases first, then titles no case has.

    `prefix` cases per file are taken as existing: STABLE_PREFIX exist at every size; a larger
    prefix exists only in corpora with that many cases per file (e.g. 100 from 100k testcases up).
    """
    pool: list[tuple[str, int]] = []
    if shape == "mentions":  # half of the recurring smoke tests, each in every file of its job
        pool += [(_smoke(k), 2 + k % 2) for k in range(0, _SMOKE, 2)]  # pytest (mock), surefire (real): no file
    per_file = -(-count // FILES)
    for i in range(FILES):
        stable = list(dict.fromkeys(c.title for c in cases(seed, i, prefix, shape)))
        pool += [(t, i) for t in stable[: min(per_file, prefix)] if shape != "mentions" or not t.startswith("smoke")]
    rng = random.Random(f"{seed}:declared")  # noqa: S311
    while len(pool) < count:
        title = _title(rng, shape)
        # Never run, yet shaped like the rest: the suffixes shape keeps its shared ending last.
        pool.append((f"never run {title}" if shape == "suffixes" else f"{title} (never run)", rng.randrange(FILES)))
    return pool[:count]


def _declared_name(title: str, file_index: int, shape: str = "base") -> str:
    dialect = DIALECTS[file_index % len(DIALECTS)]
    if shape == "paths" and dialect in ("playwright", "jest") and file_index % 2:
        return f"Payments with saved cards › Retries and timeouts › {title}"  # a describe path too
    if dialect == "playwright":
        return f"orders {file_index:03d} block 0 › {title}" if file_index % 10 == 1 else title
    return title


def write_tracking(out: Path, seed: int, declared: int, *, all_found: bool = False, shape: str = "base") -> Path:
    """D declared tests in 500 TRACKING.md files. With `all_found`, every one names a case of the
    corpora with at least D/200 cases per file (a qualifying release); otherwise at most 50 per
    file do and the rest are titles no case has (as in a release with renamed or missing tests)."""
    target = out / (_named("tracking", shape, declared) + ("-found" if all_found else ""))
    done = target / ".complete"
    if done.exists():
        return target
    prefix = max(STABLE_PREFIX, -(-declared // FILES)) if all_found else STABLE_PREFIX
    titles = _declared_titles(seed, declared, prefix, shape)
    per_file = -(-declared // TRACKING_FILES)
    rng = random.Random(f"{seed}:tracking")  # noqa: S311
    for k in range(TRACKING_FILES):
        chunk = titles[k * per_file : (k + 1) * per_file]
        if not chunk:
            break
        issue = 1000 + k
        area = rng.choice(("backend", "proxy", "frontend", "proxy"))
        partner = rng.random() < 0.2
        lines = ["---", "qualify:", f"  issue: {issue}", f"  title: synthetic defect {issue} in the order flow"]
        lines.append(f"  area: [{area}]")
        if partner:
            lines.append("  partner: voice-commerce")
            lines.append("  scenario: connect → Settings → user message → function call → backend HTTP → response")
        lines.append("  coverage:")
        for j, (title, fi) in enumerate(chunk):
            job = "mock" if fi % 2 == 0 else "real"
            kind = "scenario" if partner and j == 0 else rng.choice(("regression", "probe"))
            lines.append(f"    - test: {quoteattr(_declared_name(title, fi, shape))}")
            if DIALECTS[fi % len(DIALECTS)] == "playwright":
                lines.append(f"      file: e2e/flow-{fi:03d}.spec.ts")
            lines.append(f"      kind: {kind}")
            lines.append(f"      jobs: [{job}]")
        lines += ["---", "", f"# ISSUE-{issue}: synthetic defect", "", "Generated by bench/gen_corpus.py.", ""]
        d = target / "docs" / "issues" / f"ISSUE-{issue}"
        d.mkdir(parents=True, exist_ok=True)
        (d / "TRACKING.md").write_text("\n".join(lines), encoding="utf-8")
    done.write_text("ok\n")
    return target


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = {"k": 1000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if text[-1:] in "km" else text) * mult)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT, help="directory for the corpus (default %(default)s)")
    ap.add_argument("--sizes", default="10k,100k,1M", help="testcase totals, comma-separated (default %(default)s)")
    ap.add_argument("--declared", default="2000,20000", help="declared-test totals (default %(default)s)")
    ap.add_argument("--shapes", default="base", help=f"title shapes, comma-separated, of {', '.join(SHAPES)}")
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args(argv)
    out = Path(args.out)
    for shape in args.shapes.split(","):
        if shape not in SHAPES:
            ap.error(f"unknown shape {shape!r}; known: {', '.join(SHAPES)}")
        for size in args.sizes.split(","):
            print(write_results(out, args.seed, parse_size(size), shape))
        for d in args.declared.split(","):
            print(write_tracking(out, args.seed, parse_size(d), shape=shape))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
