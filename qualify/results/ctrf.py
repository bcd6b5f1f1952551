"""Stream the tests of a CTRF JSON report (Common Test Report Format: `results.tests[]`).

The file is walked with jsonstream (never loaded whole): each test object is decoded on its own and
dropped. Statuses: `passed` passes (flaky when `flaky` is true or it took `retries`: it failed
first); `failed` fails; `skipped` and `pending` are skipped; `other` (todo, interrupted…) is
never passed: skipped; a status the format does not define fails closed. Names: `name` as written,
`suite` (a `a > b` string or a list) as the suites, `filePath` as the file, no classname. A name
written as the suite path and the title joined by spaces (jest-ctrf-json-reporter:
`checkout completes the flow` in suite `flow.test.js > checkout`) loses that path, which the
suites already give: `checkout › completes the flow`, matched by component as Playwright's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from qualify.core.model import JobCounts, Outcome, TestCase
from qualify.errors import QualifyError
from qualify.results.common import MALFORMED, Capture, Keep, Tally, capture_fields, unreadable, wanted
from qualify.results.jsonstream import JsonStream
from qualify.results.junit import is_pathlike

WHAT = "CTRF JSON"
# Keys a CTRF report starts with, for formats.py: a root object holding one of these is CTRF.
KEYS = ("results", "reportFormat", "specVersion")
_STATUSES = {
    "passed": Outcome.PASSED,
    "failed": Outcome.FAILED,
    "skipped": Outcome.SKIPPED,
    "pending": Outcome.SKIPPED,
    "other": Outcome.SKIPPED,
}
_SUITE_SEP = " > "
_MAX_SPLIT_PARTS = 8  # describe levels tried when telling a title from its describe path
_MAX_CACHED_SUITES = 4096


def read_testcases(
    path: str,
    display: str,
    job: str,
    counts: JobCounts,
    keep: Keep | None = None,
    capture: Capture = False,
) -> Iterator[TestCase]:
    """Yield the tests `keep(name)` wants; count every one. See junit.read_testcases."""
    tally = Tally()
    found = False
    cache: dict = {}  # suite path -> its describe-path splits
    try:
        with open(path, "rb") as fh:
            js = JsonStream(fh, display)
            if js.peek() != "{":
                raise js.error(f"not {WHAT}: the document is not an object")
            for key in js.members():
                if key != "results" or js.peek() != "{":
                    js.value()  # read (so checked) and dropped
                    continue
                for inner in js.members():
                    if inner != "tests":
                        js.value()
                        continue
                    found = True
                    for line in js.items():
                        test = js.value()
                        case = _case(test, display, job, line, capture, cache)
                        tally.add(case.outcome, case.flaky)
                        if keep is None or keep(case.name):
                            yield case
            if not js.at_end():
                raise js.error("more content after the end of the JSON document")
    except OSError as exc:
        raise unreadable(display, exc) from None
    finally:
        tally.flush(counts)
    if not found:
        raise QualifyError(
            f"not {WHAT}: no `results.tests` array; a CTRF reporter writes one (empty when no test ran)",
            display,
            code=MALFORMED,
        )
    counts.files += 1


def _bad(display: str, line: int, what: str) -> QualifyError:
    return QualifyError(f"malformed {WHAT}: {what}", display, line, code=MALFORMED)


def _case(test: Any, display: str, job: str, line: int, capture: Capture, cache: dict) -> TestCase:
    if type(test) is not dict:
        raise _bad(display, line, f"each of `results.tests` must be an object, not {type(test).__name__}")
    get = test.get
    name, status, file = get("name"), get("status"), get("filePath")
    if type(name) is not str or type(status) is not str or not (file is None or type(file) is str):
        for key, value in (("name", name), ("status", status), ("filePath", file)):
            if type(value) is not str and (value is not None or key != "filePath"):
                raise _bad(display, line, f"a test's `{key}` must be a string, not {type(value).__name__}")
    outcome = _STATUSES.get(status, Outcome.FAILED)
    flaky = False
    if outcome is Outcome.PASSED:
        retries = get("retries")
        flaky = get("flaky") is True or (type(retries) is int and retries > 0)
    name, suites = _own_title(name, _suites(get("suite"), display, line), cache)
    return TestCase(
        job=job,
        name=name,
        classname="",
        suites=suites,
        file=file or None,
        outcome=outcome,
        flaky=flaky,
        source=display,
        line=line,
        **(_captured(test) if wanted(capture, name) else {}),
    )


def _own_title(name: str, suites: tuple[str, ...], cache: dict) -> tuple[str, tuple[str, ...]]:
    """The title without the describe path jest-ctrf-json-reporter puts in front of it, and the
    suites. That reporter joins describe titles with spaces in the name but with ` > ` in `suite`,
    so a describe titled `nested > level two` reads as two suites: the split that spells the name's
    prefix is looked for (a few suites at most). The splits are worked out once per suite path."""
    splits = cache.get(suites)
    if splits is None:
        if len(cache) >= _MAX_CACHED_SUITES:
            cache.clear()  # bounded; tests of one describe come together, so this is rare
        splits = cache[suites] = _splits(suites)
    for prefix, groups in splits:
        if len(name) > len(prefix) + 1 and name.startswith(prefix) and name[len(prefix)] == " ":
            return name[len(prefix) + 1 :], groups
    return name, suites


def _splits(suites: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(space-joined describe path, suites) for each way to read ` > ` inside describe titles."""
    files = tuple(s for s in suites if is_pathlike(s))
    parts = [s for s in suites if s and not is_pathlike(s)]
    if not parts or len(parts) > _MAX_SPLIT_PARTS:
        return ()
    out = []
    for mask in range(1 << (len(parts) - 1)):
        groups = [parts[0]]
        for i, part in enumerate(parts[1:]):
            if mask >> i & 1:
                groups[-1] += _SUITE_SEP + part
            else:
                groups.append(part)
        out.append((" ".join(groups), files + tuple(groups)))
    return tuple(out)


def _suites(value: Any, display: str, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(value.split(_SUITE_SEP)) if value else ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _bad(display, line, "a test's `suite` must be a string or a list of strings")


def _captured(test: dict) -> dict:
    """stdout lines as the output; `extra` values and `tags` as properties (for `evidence:`)."""
    stdout = test.get("stdout")
    lines = [s for s in stdout if isinstance(s, str)] if isinstance(stdout, list) else []
    props: list[tuple[str | None, str | None]] = []
    extra = test.get("extra")
    if isinstance(extra, dict):
        props += [(str(k), _scalar(v)) for k, v in extra.items() if _scalar(v) is not None]
        # playwright-ctrf-json-reporter: the test's annotations, as Playwright's JUnit writes them.
        notes = extra.get("annotations")
        if isinstance(notes, list):
            props += [
                (n["type"], _scalar(n.get("description")) or "")
                for n in notes
                if isinstance(n, dict) and isinstance(n.get("type"), str)
            ]
    tags = test.get("tags")
    if isinstance(tags, list):
        props += [("tag", t) for t in tags if isinstance(t, str)]
    if not lines and not props and not test.get("attachments"):
        return {}
    files = test.get("attachments")
    if isinstance(files, list):  # CTRF's own attachments: [{name, contentType, path}]
        paths = [a["path"] for a in files if isinstance(a, dict) and isinstance(a.get("path"), str)]
        lines += [f"[[ATTACHMENT|{path}]]" for path in paths]
    return capture_fields(props, ["\n".join(lines)])


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None
