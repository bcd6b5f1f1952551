"""Seeds and a byte-level mutator shared by the property tests and the fuzzing script."""

from __future__ import annotations

import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load(paths: list[Path]) -> dict[str, bytes]:
    return {str(p.relative_to(ROOT)): p.read_bytes() for p in sorted(paths) if p.stat().st_size < 200_000}


SEEDS_XML = _load(
    list((ROOT / "examples" / "runs").rglob("*.xml")) + list((ROOT / "tests" / "fixtures").rglob("*.xml"))
)
# Results of the other formats (NUnit, xUnit.net, TRX, CTRF, go test -json) that tests/fixtures holds.
SEEDS_RESULTS = _load(
    [
        p
        for p in (ROOT / "tests" / "fixtures").rglob("*")
        if p.is_file()
        and p.suffix in (".xml", ".trx", ".json", ".jsonl")
        and ".expected." not in p.name
        and "sources" not in p.parts
    ]
)
SEEDS_TRACKING = _load(list((ROOT / "examples").rglob("TRACKING.md"))) or {
    "minimal": b"---\nqualify:\n  issue: 1\n  coverage:\n    - test: t\n---\n"
}

# Attachment references (one per line) followed by a testcase's output: the `trace` fuzz target.
SEEDS_TRACE = {
    "refs-and-output": (
        b"traces/flow.log\n../outside/secret.log\nlink-out.log\nlink-in.log\npipe.log\nsub\nbinary.log\n"
        b"/etc/passwd\nfile:///etc/passwd\n./traces/../traces/flow.log\n"
        b'\n---\n<- {"type":"session.created"}\n[[ATTACHMENT|traces/flow.log]]\nGET /orders/1 200\n'
    ),
    **{name: data for name, data in _load(list((ROOT / "examples" / "runs").rglob("*.log"))).items()},
}

# Fragments that have broken XML and YAML readers before: splice them anywhere.
SNIPPETS = [
    b'<!DOCTYPE t [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
    b'<!DOCTYPE t SYSTEM "http://127.0.0.1:9/x.dtd">',
    b"&a;",
    b"&#10;::error::qualified&#13;",
    b"::add-mask::",
    b"##[error]",
    b"\x00",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b'<?xml version="1.0" encoding="UTF-16"?>',
    b'<?xml version="1.0" encoding="bogus"?>',
    b"<![CDATA[",
    b"]]>",
    b"<testcase",
    b"</testcase>",
    b"<testsuite>" * 40,
    b"<skipped/><failure/>",
    b"<flakyFailure/>",
    b'tests="NaN" time="-1e999"',
    b"<!--",
    b"-->",
    b"&",
    b"<",
    b"|<script>",
    b"\r\n",
    b"---\n",
    b"```yaml qualify\n",
    b"```\n",
    b"&x [*x, *x, *x]",
    b"[[ATTACHMENT|../../outside/secret.log]]\n",
    b"[[ATTACHMENT|",
    b"\n" * 64,
    b"*x",
    b"!!python/object/apply:os.system",
    b"<<: *x",
    b"[" * 60,
    b"{",
    b"\t",
    b"issue: issue:",
    b"jobs: [staging]",
    b"coverage: {}",
    # JSON results: CTRF and go test -json
    b'{"Action":"run","Package":"p","Test":"TestX"}\n',
    b'{"Action":"output","Package":"p","Test":"TestX","Output":"::error::x\\n"}\n',
    b'"Action":"output"',
    b"FAIL\tp [build failed]\n",
    b'"results":{"tests":[',
    b'"status":"other"',
    b'"suite":["a","b > c"]',
    b"\\u0000\\ud800",
    b"1e999",
    b"NaN",
    b"]}}",
    # .NET XML
    b'<test-case name="x" result="Inconclusive"/>',
    b'<UnitTestResult testId="t" testName="x" outcome="Aborted"><InnerResults>',
    b'<test name="x" type="T" result="NotRun"/>',
]


def mutate(data: bytes, rnd: random.Random, rounds: int | None = None) -> bytes:
    """A few random edits: flips, inserts, deletes, duplicated or swapped chunks, snippets, truncation."""
    buf = bytearray(data)
    for _ in range(rounds if rounds is not None else rnd.randint(1, 6)):
        op = rnd.randrange(8)
        at = rnd.randint(0, len(buf))
        if op == 0 and buf:
            i = rnd.randrange(len(buf))
            buf[i] ^= 1 << rnd.randrange(8)
        elif op == 1:
            buf[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8)))
        elif op == 2 and buf:
            del buf[at : at + rnd.randint(1, 64)]
        elif op == 3 and buf:
            start = rnd.randrange(len(buf))
            chunk = buf[start : start + rnd.randint(1, 256)]
            buf[at:at] = chunk * rnd.randint(1, 4)
        elif op in (4, 5):
            buf[at:at] = rnd.choice(SNIPPETS)
        elif op == 6:
            del buf[at:]
        elif op == 7 and len(buf) > 2:
            i, j = sorted(rnd.randrange(len(buf)) for _ in range(2))
            buf[i:j] = bytes(reversed(buf[i:j]))
    return bytes(buf)
