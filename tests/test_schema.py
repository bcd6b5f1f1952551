"""schema/tracking.schema.json, qualify.tracking.schema and parse_tracking agree on what a valid block is.

Three judges of one document: the real `jsonschema` library (reference implementation of draft
2020-12), qualify's own small validator (what `qualify lint` runs without extra packages), and
the parser `qualify check` uses. Hand-written cases name the edges; hypothesis explores the rest.
"""

import copy
import datetime as dt
import json
import os
import subprocess
import sys
import textwrap

import jsonschema
import pytest
import yaml
from builders import EXAMPLES, ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qualify.tracking.lint import load_validator, schema_path, schema_violations
from qualify.tracking.parse import parse_tracking
from qualify.tracking.schema import SchemaError, Validator, to_json_data

SCHEMA = json.loads((ROOT / "schema" / "tracking.schema.json").read_text())
REFERENCE = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
OURS = Validator(SCHEMA)
EVIDENCE_DOC = {"issue": 1, "coverage": [{"test": "a", "evidence": [{"property": "p", "matches": "x"}]}]}


def _front_matter(block) -> str:
    return "---\n" + yaml.safe_dump({"qualify": block}, sort_keys=False, allow_unicode=True) + "---\n# notes\n"


def _parser_accepts(block) -> bool:
    read = parse_tracking(_front_matter(block), "docs/issues/ISSUE-1/TRACKING.md")
    assert read.defect is not None or read.invalid is not None
    return read.invalid is None


# tracking.py learns `evidence` in another branch (issue #3); until then it must refuse the key outright.
PARSER_KNOWS_EVIDENCE = _parser_accepts(EVIDENCE_DOC)


def _judges(block) -> tuple[bool, bool]:
    data = to_json_data({"qualify": block})
    ours = not OURS.errors(data)
    reference = REFERENCE.is_valid(data)
    assert ours == reference, (block, [e.message for e in REFERENCE.iter_errors(data)], OURS.errors(data))
    return ours, _parser_accepts(block)


VALID = [
    {"issue": 462, "coverage": [{"test": "a"}]},
    {"issue": 1, "title": None, "area": None, "partner": None, "scenario": None, "exception": None,
     "coverage": [{"test": "a", "file": None}]},
    {"issue": 1, "area": "backend", "coverage": [{"test": "a", "jobs": "real", "kind": "probe"}]},
    {"issue": 1, "area": [], "coverage": [{"test": "a", "jobs": ["mock", "real", "mock"], "kind": "scenario"}]},
    {"issue": 1, "area": ["proxy", "ui"], "partner": "acme", "scenario": "s", "coverage": [{"test": "a", "file": "f"}]},
    {"issue": 1, "coverage": [{"test": "a"}],
     "exception": {"reason": "r", "approved-by": "@rm", "expires": dt.date(2026, 12, 31)}},
    {"issue": 1, "coverage": [{"test": "a"}], "exception": {"reason": "r", "approved-by": "@rm", "expires": "2026-12-31"}},
]  # fmt: skip

INVALID = [
    {"coverage": [{"test": "a"}]},
    {"issue": 0, "coverage": [{"test": "a"}]},
    {"issue": True, "coverage": [{"test": "a"}]},
    {"issue": "462", "coverage": [{"test": "a"}]},
    {"issue": 1},
    {"issue": 1, "coverage": []},
    {"issue": 1, "coverage": "a"},
    {"issue": 1, "coverage": [{"file": "f"}]},
    {"issue": 1, "coverage": ["a"]},
    {"issue": 1, "coverage": [{"test": " "}]},
    {"issue": 1, "coverage": [{"test": "a", "kind": "e2e"}]},
    {"issue": 1, "coverage": [{"test": "a", "kind": None}]},
    {"issue": 1, "coverage": [{"test": "a", "jobs": []}]},
    {"issue": 1, "coverage": [{"test": "a", "jobs": None}]},
    {"issue": 1, "coverage": [{"test": "a", "jobs": ["staging"]}]},
    {"issue": 1, "coverage": [{"test": "a", "owner": "me"}]},
    {"issue": 1, "coverage": [{"test": "a"}], "colour": "red"},
    {"issue": 1, "coverage": [{"test": "a"}], "title": ""},
    {"issue": 1, "coverage": [{"test": "a"}], "title": 5},
    {"issue": 1, "coverage": [{"test": "a"}], "area": ["backend", 3]},
    {"issue": 1, "coverage": [{"test": "a"}], "area": " "},
    {"issue": 1, "coverage": [{"test": "a"}], "exception": "waived"},
    {"issue": 1, "coverage": [{"test": "a"}], "exception": {"reason": "r", "approved-by": "@rm"}},
    {"issue": 1, "coverage": [{"test": "a"}], "exception": {"reason": "r", "approved-by": None, "expires": "2026-12-31"}},
    {"issue": 1, "coverage": [{"test": "a"}], "exception": {"reason": "r", "approved-by": "x", "expires": "2026-13-01"}},
    {"issue": 1, "coverage": [{"test": "a"}], "exception": {"reason": "r", "approved-by": "x", "expires": 20261231}},
    {"issue": 1, "coverage": [{"test": "a"}], "exception": {"reason": "r", "approved-by": "x", "expires": "soon"}},
    {"issue": 1, "coverage": [{"test": "a"}],
     "exception": {"reason": "r", "approved-by": "x", "expires": "2026-12-31", "by": "me"}},
    [1, 2],
    None,
]  # fmt: skip

EVIDENCE_VALID = [
    EVIDENCE_DOC,
    {"issue": 1, "coverage": [{"test": "a", "evidence": [{"output": "HTTP 200 .*api\\.example"}]}]},
    # `matches` is optional: without it the property only has to be present.
    {"issue": 1, "coverage": [{"test": "a", "evidence": [{"property": "p"}]}]},
]
EVIDENCE_INVALID = [
    {"issue": 1, "coverage": [{"test": "a", "evidence": []}]},
    {"issue": 1, "coverage": [{"test": "a", "evidence": [{"output": "(unclosed"}]}]},
    {"issue": 1, "coverage": [{"test": "a", "evidence": [{"property": "p", "matches": "x", "output": "y"}]}]},
    {"issue": 1, "coverage": [{"test": "a", "evidence": ["x"]}]},
]


STEPS = [{"connect": "session\\.created"}, {"function call": "response\\.function_call_arguments\\.done"}]
SCENARIO_VALID = [
    {"issue": 1, "partner": "p", "scenario": STEPS, "coverage": [{"test": "a", "kind": "scenario"}]},
    {"issue": 1, "scenario": [{"only step": "x"}], "coverage": [{"test": "a"}]},
    {"issue": 1, "scenario": "a → b", "events": '"type":\\s*"([\\w.]+)"', "coverage": [{"test": "a"}]},
    {"issue": 1, "events": None, "coverage": [{"test": "a"}]},
]
SCENARIO_INVALID = [
    {"issue": 1, "scenario": [], "coverage": [{"test": "a"}]},
    {"issue": 1, "scenario": [{}], "coverage": [{"test": "a"}]},
    {"issue": 1, "scenario": [{"a": "x", "b": "y"}], "coverage": [{"test": "a"}]},
    {"issue": 1, "scenario": ["connect"], "coverage": [{"test": "a"}]},
    {"issue": 1, "scenario": [{"a": "(x"}], "coverage": [{"test": "a"}]},
    {"issue": 1, "scenario": [{"a": ""}], "coverage": [{"test": "a"}]},
    {"issue": 1, "scenario": [{"a": None}], "coverage": [{"test": "a"}]},
    {"issue": 1, "scenario": [{"a": 5}], "coverage": [{"test": "a"}]},
    {"issue": 1, "scenario": [{" ": "x"}], "coverage": [{"test": "a"}]},
    {"issue": 1, "scenario": [[{"a": "x"}]], "coverage": [{"test": "a"}]},
    {"issue": 1, "events": "(x", "coverage": [{"test": "a"}]},
    {"issue": 1, "events": "", "coverage": [{"test": "a"}]},
    {"issue": 1, "events": ["(x)"], "coverage": [{"test": "a"}]},
    {"issue": 1, "events": 5, "coverage": [{"test": "a"}]},
]


def test_the_schema_is_valid_draft_2020_12():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("block", VALID)
def test_valid_blocks_pass_all_three(block):
    assert _judges(block) == (True, True)


@pytest.mark.parametrize("block", INVALID)
def test_invalid_blocks_fail_all_three(block):
    assert _judges(block) == (False, False)


@pytest.mark.parametrize(
    ("block", "valid"), [(b, True) for b in EVIDENCE_VALID] + [(b, False) for b in EVIDENCE_INVALID]
)
def test_evidence_entries(block, valid):
    schema_ok, parser_ok = _judges(block)
    assert schema_ok is valid
    if PARSER_KNOWS_EVIDENCE:
        assert parser_ok is valid
    else:
        assert parser_ok is False  # the key is unknown to this parser: refused, never ignored


@pytest.mark.parametrize(
    ("block", "valid"), [(b, True) for b in SCENARIO_VALID] + [(b, False) for b in SCENARIO_INVALID]
)
def test_scenario_steps_and_events(block, valid):
    assert _judges(block) == (valid, valid)


def test_rules_on_patterns_only_the_parser_knows():
    """JSON Schema cannot count a regex's groups, compare step names or see nested repetition:
    the parser (and so `qualify lint`) refuses these, the schema lets them through."""
    parser_only = [
        {"issue": 1, "events": "no group", "coverage": [{"test": "a"}]},
        {"issue": 1, "events": "(two)(groups)", "coverage": [{"test": "a"}]},
        {"issue": 1, "scenario": [{"a": "x"}, {"a": "y"}], "coverage": [{"test": "a"}]},
        {"issue": 1, "scenario": [{"a": "(x+)+"}], "coverage": [{"test": "a"}]},
    ]
    for block in parser_only:
        assert _judges(block) == (True, False), block


def test_known_differences_are_the_parser_being_more_lenient():
    """Spellings `qualify check` tolerates but the schema (editors, lint) asks to write plainly."""
    lenient = [
        {"issue": 1, "coverage": [{"test": "a", "jobs": [" mock "]}]},
        {"issue": 1, "coverage": [{"test": "a"}], "exception": {"reason": "r", "approved-by": "x", "expires": "20261231"}},
        {"issue": 1, "coverage": [{"test": "a"}],
         "exception": {"reason": "r", "approved-by": "x", "expires": dt.datetime(2026, 12, 31, 10, 0)}},
    ]  # fmt: skip
    for block in lenient:
        assert _judges(block) == (False, True), block


_EDGES = [None, True, 0, -1, 1, "", " ", "ci", "e2e", "2026-13-01", "(x", [], [""], [1], ["ci"], {}, {"a": 1}]


def _optional(draw, target: dict, key: str, strategy) -> None:
    if draw(st.booleans()):
        target[key] = draw(strategy)


@st.composite
def _valid_block(draw) -> dict:
    """A block all three judges should accept; mutations below then break it in one or two places."""
    text = st.sampled_from(["a", "Issue #462: b › c", "ü"])
    block = {"issue": draw(st.integers(1, 10**6))}
    for key in ("title", "partner", "scenario"):
        _optional(draw, block, key, st.one_of(st.none(), text))
    _optional(draw, block, "area", st.one_of(st.none(), text, st.lists(text, max_size=3)))
    jobs = st.sampled_from(["mock", "real"])
    entries = []
    for _ in range(draw(st.integers(1, 3))):
        entry = {"test": draw(text)}
        _optional(draw, entry, "file", st.one_of(st.none(), text))
        _optional(draw, entry, "kind", st.sampled_from(["scenario", "probe", "regression"]))
        _optional(draw, entry, "jobs", st.one_of(jobs, st.lists(jobs, min_size=1, max_size=3)))
        if PARSER_KNOWS_EVIDENCE:
            item = st.one_of(
                st.fixed_dictionaries({"property": text, "matches": text}), st.fixed_dictionaries({"output": text})
            )
            _optional(draw, entry, "evidence", st.lists(item, min_size=1, max_size=2))
        entries.append(entry)
    block["coverage"] = entries
    expires = st.one_of(st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1)), st.just("2026-12-31"))
    waiver = st.fixed_dictionaries({"reason": text, "approved-by": text, "expires": expires})
    _optional(draw, block, "exception", st.one_of(st.none(), waiver))
    if draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(["connect", "Settings", "user message", "ü › b"]), min_size=1,
                              max_size=4, unique=True))  # fmt: skip
        block["scenario"] = [
            {n: draw(st.sampled_from(["x", "session\\.created", "POST /f/\\w+ .*200"]))} for n in names
        ]
    _optional(draw, block, "events", st.sampled_from(['"type":"([\\w.]+)"', "^<- (\\S+)", None]))
    return block


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_valid_block())
def test_generated_valid_blocks_pass_all_three(block):
    if _evidence_outside_real(block):
        # A rule across two keys the schema does not express: the parser (and so lint) refuses it.
        assert _judges(block) == (True, False), block
    else:
        assert _judges(block) == (True, True), block


def _evidence_outside_real(block) -> bool:
    """An entry with `evidence` whose `jobs` leave out the real job (where evidence is checked)."""
    for item in (block.get("coverage") if isinstance(block, dict) else None) or []:
        if not isinstance(item, dict) or not item.get("evidence") or "jobs" not in item:
            continue
        jobs = [item["jobs"]] if isinstance(item["jobs"], str) else item["jobs"]
        if isinstance(jobs, list) and all(isinstance(j, str) for j in jobs) and "real" not in [j.strip() for j in jobs]:
            return True
    return False


_EDGES += ["mock", "a", dt.date(2026, 12, 31), ["mock", "real"], 462]
FULL = {
    "issue": 7, "title": "t", "area": ["proxy"], "partner": "p", "scenario": "s",
    "coverage": [{"test": "a", "file": "f", "kind": "scenario", "jobs": ["real"]}],
    "exception": {"reason": "r", "approved-by": "x", "expires": "2026-12-31"},
}  # fmt: skip
if PARSER_KNOWS_EVIDENCE:
    FULL["coverage"][0]["evidence"] = [{"property": "p", "matches": "x"}, {"output": "y"}]


def _targets(block: dict):
    """Every mapping of a fully populated block, with the keys it may hold plus one it may not."""
    yield block, ["issue", "title", "area", "partner", "scenario", "events", "coverage", "exception", "colour"]
    yield block["coverage"][0], ["test", "file", "kind", "jobs", "evidence", "owner"]
    yield block["exception"], ["reason", "approved-by", "expires", "by"]
    if PARSER_KNOWS_EVIDENCE:
        yield block["coverage"][0]["evidence"][0], ["property", "matches", "output"]
        yield block["coverage"][0]["evidence"][1], ["output", "property"]


def test_schema_and_parser_agree_on_every_single_edit():
    """Each key of a full block deleted or set to each edge value: the three judges must agree."""
    assert _judges(FULL) == (True, True)
    tried = 0
    for index, (_, keys) in enumerate(_targets(FULL)):
        for key in keys:
            if key == "evidence" and not PARSER_KNOWS_EVIDENCE:
                continue
            for value in [..., *_EDGES]:
                block = copy.deepcopy(FULL)
                target = list(_targets(block))[index][0]
                if value is ...:
                    target.pop(key, None)
                else:
                    target[key] = copy.deepcopy(value)
                schema_ok, parser_ok = _judges(block)
                if isinstance(value, dt.date) and key in (
                    "title",
                    "partner",
                    "scenario",
                    "area",
                    "test",
                    "file",
                    "property",
                    "matches",
                    "output",
                    "reason",
                    "approved-by",
                ):
                    # An unquoted YAML date where text belongs: JSON (and so the schema) sees a string,
                    # the parser a date it refuses. `qualify lint` runs both, so it still says so.
                    # (Unless the key is not allowed there at all: then both refuse, as with any text.)
                    target[key] = "x"
                    assert (schema_ok, parser_ok) == (_judges(block)[0], False), (key, value)
                elif schema_ok and _evidence_outside_real(block):
                    assert parser_ok is False, (key, value)  # the cross-key rule only the parser knows
                elif schema_ok and key == "events" and not _one_group(value):
                    assert parser_ok is False, (key, value)  # a regex's groups: only the parser counts them
                else:
                    assert schema_ok == parser_ok, (key, value, schema_ok, parser_ok)
                tried += 1
    assert tried > 300


def _one_group(pattern) -> bool:
    import re

    return pattern is None or pattern is ... or (isinstance(pattern, str) and re.compile(pattern).groups == 1)


def test_scenario_steps_single_edits():
    """Each step of a steps list broken one way at a time: schema and parser agree."""
    base = {"issue": 1, "scenario": copy.deepcopy(STEPS), "coverage": [{"test": "a"}]}
    assert _judges(base) == (True, True)
    for value in [..., *_EDGES]:
        for extra in (False, True):
            block = copy.deepcopy(base)
            step = block["scenario"][1]
            if value is ...:
                step.pop("function call")
            else:
                step["function call"] = copy.deepcopy(value)
            if extra:
                step["other"] = "x"
            schema_ok, parser_ok = _judges(block)
            if isinstance(value, dt.date) and not extra:
                assert (schema_ok, parser_ok) == (True, False), value  # a date where text belongs
            else:
                assert schema_ok == parser_ok, (value, extra, schema_ok, parser_ok)


def test_the_validator_refuses_keywords_it_does_not_implement():
    with pytest.raises(SchemaError, match="maxLength"):
        Validator({"type": "string", "maxLength": 3})
    with pytest.raises(SchemaError, match="uri"):
        Validator({"type": "string", "format": "uri"})
    with pytest.raises(SchemaError, match="unresolved"):
        Validator({"$ref": "#/$defs/nothing"})


def test_the_examples_are_valid():
    validator = load_validator()
    for path in sorted((EXAMPLES / "docs" / "issues").glob("*/TRACKING.md")):
        assert schema_violations(path.read_text(), validator) == [], path


def test_violations_carry_the_file_line():
    text = textwrap.dedent("""\
        # ISSUE-5

        ```yaml qualify
        issue: 5
        coverage:
          - test: a
            jobs: [staging]
          - file: x
        exception:
          reason: r
        ```
        """)
    found = {(line, v.pointer, v.message) for line, v in schema_violations(text, load_validator())}
    assert found == {
        (7, "/qualify/coverage/0/jobs/0", "must be one of mock, real, got 'staging'"),
        (8, "/qualify/coverage/1", "`test` is required"),
        (10, "/qualify/exception", "`approved-by` is required"),
        (10, "/qualify/exception", "`expires` is required"),
    }


def test_lint_reports_every_problem_at_once(tmp_path):
    bad = tmp_path / "TRACKING.md"
    bad.write_text("---\nqualify:\n  issue: 0\n  colour: red\n  coverage:\n    - test: a\n      kind: e2e\n---\n")
    r = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), "lint", str(bad)], capture_output=True, text=True, timeout=60
    )
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith(f"{bad}:4: tracking-invalid: invalid qualify block: unknown key 'colour'")
    assert f"{bad}:3: tracking-invalid: schema: /qualify/issue: must be at least 1, got 0" in r.stdout
    assert "/qualify/colour" not in r.stdout  # said once, by the parser
    assert f"{bad}:7: tracking-invalid: schema: /qualify/coverage/0/kind: must be one of scenario" in r.stdout
    assert lines[-1] == "1 file(s) checked, 3 problem(s)"


def test_schema_is_found_in_the_source_tree():
    assert schema_path() == ROOT / "schema" / "tracking.schema.json"


def require_build_backend() -> None:
    """--no-build-isolation builds with this environment's setuptools: without it, or with one older
    than 70.1 (which needs the separate `wheel` package for bdist_wheel), fail and say how to fix it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("setuptools")
    except PackageNotFoundError:
        found = "none"
    parts = tuple(int(p) for p in found.split(".")[:2] if p.isdigit()) if found != "none" else ()
    if parts < (70, 1):
        pytest.fail(
            f"building the wheel offline needs setuptools >= 70.1 in this environment (found: {found}); "
            "install the pinned tools with: python3 -m pip install -r requirements/dev.txt",
            pytrace=False,
        )


def test_the_schema_ships_in_the_wheel_and_lint_finds_it_there(tmp_path):
    """Build the wheel offline (as pip does for pre-commit's `language: python`), install it, lint."""
    require_build_backend()
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        (src / name).write_bytes((ROOT / name).read_bytes())
    for folder in ("qualify", "schema"):
        subprocess.run(["cp", "-r", str(ROOT / folder), str(src / folder)], check=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src)],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    wheel = next((tmp_path / "dist").glob("qualify-*.whl"))
    site = tmp_path / "site"
    subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(site)}
    r = subprocess.run(
        [sys.executable, str(site / "bin" / "qualify"), "lint", str(EXAMPLES / "docs/issues/ISSUE-462/TRACKING.md")],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    where = subprocess.run(
        [sys.executable, "-c", "from qualify.tracking.lint import schema_path; print(schema_path())"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )  # fmt: skip
    assert where.stdout.strip() == str(site / "qualify" / "schema" / "tracking.schema.json"), (
        where.stdout + where.stderr
    )
    assert (site / "qualify" / "schema" / "report.schema.json").is_file()  # for tools that read the JSON report


def test_pre_commit_hook_runs_the_console_script_on_tracking_files():
    import re
    import tomllib

    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    (hook,) = hooks
    assert hook["id"] == "qualify-lint" and hook["language"] == "python"
    command, sub = hook["entry"].split()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert command in scripts and sub == "lint"
    files = re.compile(hook["files"])
    assert files.search("TRACKING.md") and files.search("docs/issues/ISSUE-462/TRACKING.md")
    assert not files.search("README.md") and not files.search("docs/OLD-TRACKING.md")


def test_a_missing_or_broken_schema_is_an_error_not_a_pass(tmp_path):
    from qualify.errors import QualifyError

    with pytest.raises(QualifyError, match="cannot use the schema"):
        load_validator(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "object", "uniqueItems": true}')
    with pytest.raises(QualifyError, match="uniqueItems"):
        load_validator(broken)
