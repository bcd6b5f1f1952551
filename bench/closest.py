"""How well `test-not-found` names the real test for a reworded title, on the fixture corpus.

    python3 bench/closest.py [--show] [--cutoff 0.5]

For every test of every real runner file under tests/fixtures (runners/ and corpus/, the broken
ones left out), its title is reworded the ways people reword a title they copy by hand, and declared
alone in a defect of the issue the title mentions (if any):

  drop      one word dropped (the longest);
  add       a word added (`correctly` after the first word);
  change    one word changed (the longest, to another word);
  remark    the parenthesised remark that ends the title dropped (only titles that have one);
  path      an extra describe path in front (`Some feature › title`);
  reorder   two words swapped, one dropped.

A rewording that still matches some testcase is left out (nothing to find). The others go through
Matcher and `closest_titles` like a check: a **hit** names the real test (any testcase with that
title) first; **named** anywhere in the three; a **miss** names it nowhere. **Others** are the other
titles named: for each, whether it shares a distinctive word with the declared title (`unrelated`
when it shares none). A negative control declares titles of *other* files that do not exist in the
file: everything it names is listed, for a reader to judge.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qualify.core import matching  # noqa: E402
from qualify.core.matching import SEP, Matcher, canonical, mentioned_issues, tokens  # noqa: E402
from qualify.core.model import CoverageEntry, Defect, JobCounts, TestCase  # noqa: E402
from qualify.errors import QualifyError  # noqa: E402
from qualify.results.junit import read_testcases  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
_PIECES = re.compile(r"([ _]+)")
_OTHER_WORD = "payment"
CONTROL_CHUNK = 50  # foreign titles declared together in the negative control


@dataclass(frozen=True, slots=True)
class Original:
    title: str  # the test's own title (no describe path)
    names: frozenset[str]  # canonical full names of the testcases with that title


def _files() -> list[Path]:
    found = sorted((FIXTURES / "runners").glob("*/*.xml")) + sorted((FIXTURES / "corpus").rglob("*.xml"))
    return [p for p in found if "broken" not in p.parts]


def _cases(path: Path) -> list[TestCase]:
    try:
        return list(read_testcases(str(path), path.name, "mock", JobCounts()))
    except QualifyError:
        return []


def _title_of(case: TestCase) -> str:
    """The test's own title, as far as the XML tells it."""
    name = canonical(case.name)
    title = name.split(SEP)[-1]
    if case.classname == case.name:  # jest-junit default: `describe title`; the suite is the first describe
        for suite in case.suites:
            s = canonical(suite)
            if s and title.startswith(s + " "):
                title = title[len(s) + 1 :]
    return title


def originals(path: Path, cases: list[TestCase]) -> list[Original]:
    expected = path.with_name(path.stem + ".expected.json")
    known = json.loads(expected.read_text()).get("tests") if expected.exists() else None
    # The runner fixtures' expected.json has each test's own title, from the runner's report.
    titles = [t["title"] for t in known] if known else [_title_of(c) for c in cases]
    found: dict[str, set[str]] = {}
    for title in dict.fromkeys(canonical(t) for t in titles):
        # Another parametrisation of the same test is the same test.
        bare = _unparametrised(title)
        names = {canonical(c.name) for c in cases if _ends_with(_unparametrised(canonical(c.name)), bare)}
        if names and len(_words(title)) >= 3:
            found[title] = names
    return [Original(t, frozenset(n)) for t, n in found.items()]


def _unparametrised(text: str) -> str:
    stripped = matching._strip_params(text)
    return canonical(stripped) if stripped else text


def _ends_with(name: str, title: str) -> bool:
    return name == title or name.endswith(" " + title)


def _words(title: str) -> list[str]:
    return [w for w in _PIECES.split(title) if w and not _PIECES.fullmatch(w)]


def _rejoin(pieces: list[str]) -> str:
    return "".join(pieces).strip(" _")


def reword(title: str) -> dict[str, str]:
    pieces = _PIECES.split(title)
    word_at = [i for i, p in enumerate(pieces) if p and not _PIECES.fullmatch(p)]
    sep = "_" if "_" in title and " " not in title else " "
    longest = max(word_at, key=lambda i: (len(pieces[i]), i))
    out: dict[str, str] = {}
    dropped = pieces[:longest] + pieces[longest + 2 :] if longest + 1 < len(pieces) else pieces[: longest - 1]
    out["drop"] = _rejoin(dropped)
    first = word_at[0]
    out["add"] = _rejoin([*pieces[: first + 1], sep, "correctly", *pieces[first + 1 :]])
    changed = list(pieces)
    changed[longest] = _OTHER_WORD if pieces[longest].lower() != _OTHER_WORD else "refund"
    out["change"] = _rejoin(changed)
    bare = matching._without_remark(title)
    if bare is not None and title.endswith(")"):
        out["remark"] = bare
    out["path"] = f"Some feature › {title}"
    if len(word_at) >= 4:
        swapped = list(pieces)
        a, b = word_at[0], word_at[1]
        swapped[a], swapped[b] = swapped[b], swapped[a]
        last = word_at[-1]
        out["reorder"] = _rejoin(swapped[: last - 1] + swapped[last + 1 :])
    return {k: v for k, v in out.items() if v and canonical(v) != canonical(title)}


def _defect(index: int, test: str, issue: int) -> Defect:
    entry = CoverageEntry(test=test, file=None, kind="regression", jobs=("mock",), line=5)
    return Defect(issue, "t", (), None, None, (entry,), None, f"ISSUE-{issue}/TRACKING.md", 1)


def run_file(path: Path, declared: list[tuple[str, str, Original | None]], cases: list[TestCase]):
    """(op, declared, original, closest) for each declared title that matches nothing in the file."""
    defects = []
    for i, (_, test, original) in enumerate(declared):
        issues = mentioned_issues(original.title) if original else mentioned_issues(test)
        defects.append(_defect(i, test, min(issues) if issues else 900_000 + i))
    matcher = Matcher(defects)
    keep = matcher.keeper("mock")
    for case in cases:
        if keep(case.name, case_attrs(case)):
            matcher.add(case)
    out = []
    for i, (op, test, original) in enumerate(declared):
        if matcher.book.get(i, 0, "mock").total:
            continue  # still matches: nothing to find
        out.append((op, test, original, matcher.book.closest_titles(i, 0, "mock")))
    return out


def case_attrs(case: TestCase) -> dict[str, str]:
    return {"classname": case.classname}


def _related(declared: str, name: str) -> bool:
    words = {w for w in tokens(declared) if matching._distinctive(w)}
    return bool(words & tokens(name))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--show", action="store_true", help="list every miss and every other title named")
    ap.add_argument("--cutoff", type=float, default=matching.CLOSEST_CUTOFF)
    args = ap.parse_args(argv)
    matching.CLOSEST_CUTOFF = args.cutoff  # the module constant, read at each ranking
    files = {p: _cases(p) for p in _files()}
    files = {p: c for p, c in files.items() if c}
    per_op: dict[str, list[int]] = {}  # op -> [tried, hit, named, missed, others, unrelated]
    misses: list[str] = []
    others: list[str] = []
    control: list[str] = []
    control_tried = 0
    all_originals = {p: originals(p, c) for p, c in files.items()}
    for path, cases in files.items():
        # One rewording of each test of the file at a time, as a repository declares a test once.
        groups: dict[str, list[tuple[str, str, Original | None]]] = {}
        for o in all_originals[path]:
            for op, test in reword(o.title).items():
                groups.setdefault(op, []).append((op, test, o))
        # Negative control: titles of the corpus files (other projects) declared against this file.
        foreign = [o.title for q, os_ in all_originals.items() if q != path and "corpus" in q.parts for o in os_]
        foreign = list(dict.fromkeys(foreign))
        for k in range(0, len(foreign), CONTROL_CHUNK):
            groups[f"control {k}"] = [("control", t, None) for t in foreign[k : k + CONTROL_CHUNK]]
        results = [r for group in groups.values() for r in run_file(path, group, cases)]
        for op, test, original, closest in results:
            rel = path.relative_to(FIXTURES)
            if original is None:
                control_tried += 1
                for c in closest:
                    control.append(f"{rel}: “{test}” → “{c.name}” ({c.score:.2f})")
                continue
            row = per_op.setdefault(op, [0, 0, 0, 0, 0, 0])
            row[0] += 1
            names = [c.name for c in closest]
            if names and names[0] in original.names:
                row[1] += 1
            if any(n in original.names for n in names):
                row[2] += 1
            else:
                row[3] += 1
                misses.append(f"{rel} [{op}]: “{test}” (real: “{original.title}”) → {names or 'nothing'}")
            for c in closest:
                if c.name in original.names:
                    continue
                row[4] += 1
                related = _related(test, c.name)
                row[5] += not related
                flag = "" if related else " UNRELATED"
                others.append(f"{rel} [{op}]: “{test}” → “{c.name}” ({c.score:.2f}){flag}")
    print(f"cutoff {args.cutoff}, same-issue bonus {matching.SAME_ISSUE_BONUS}, {len(files)} files\n")
    print("| rewording | declared | real test named first | named | missed | other titles named | sharing no word |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    total = [0] * 6
    for op, row in per_op.items():
        total = [a + b for a, b in zip(total, row, strict=True)]
        print(f"| {op} | " + " | ".join(str(x) for x in row) + " |")
    print("| **all** | " + " | ".join(f"**{x}**" for x in total) + " |")
    print(f"\nNegative control: {control_tried} titles of other projects declared; {len(control)} titles named.")
    if args.show:
        print("\n## Misses\n")
        print("\n".join(f"- {m}" for m in misses) or "none")
        print("\n## Other titles named\n")
        print("\n".join(f"- {o}" for o in others) or "none")
        print("\n## Named in the negative control\n")
        print("\n".join(f"- {c}" for c in control) or "none")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
