"""One builder for both front ends: what the user set becomes frozen per-stage settings, and every
message names the input the way the user set it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from qualify.app.options import INPUTS, RawInputs, build_settings, output_settings
from qualify.core.rules import DEFAULT_REAL_API_AREAS
from qualify.errors import QualifyError
from qualify.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
BASE = {"mock-results": "mock/*.xml", "real-results": "real/**/*.xml"}


def cli(ws: Path, **values: object) -> RawInputs:
    return RawInputs.of("cli", {"workspace": str(ws), **BASE, **values})


def action(**values: object) -> RawInputs:
    return RawInputs.of("action", {**BASE, **values})


def action_env(ws: Path, **extra: str) -> dict[str, str]:
    return {"GITHUB_WORKSPACE": str(ws), "GITHUB_ACTIONS": "true", **extra}


def test_the_same_inputs_give_the_same_settings_through_either_front_end(tmp_path):
    given = {
        "tracking": "docs/**/TRACKING.md",
        "issues": "#462 470, milestone:v1.4",
        "real-api-areas": "Backend gateway",
        "max-file-bytes": "2M",
        "max-total-bytes": "1G",
        "real-api-labels": "api",
        "partner-labels": "partner,customer",
        "real-results-artifact": "real-junit-*",
        "shards": "real=4",
        "results-workflow": "real.yml",
        "results-branch": "main",
        "allow-stale-results": "true",
        "comment": "true",
        "check-name": "release",
        "json-report": "out/report.json",
        "mode": "report",
    }
    env = {"QUALIFY_TODAY": "2026-11-25", "GITHUB_REPOSITORY": "acme/voice", "GITHUB_SHA": "abc"}
    a = build_settings(cli(tmp_path, **given), {**env, "GITHUB_ACTIONS": "true"})
    b = build_settings(action(**given), action_env(tmp_path, **env))
    for part in ("sources", "limits", "policy", "artifacts"):
        assert dataclasses.replace(getattr(a, part), naming=b.sources.naming) == getattr(b, part), part
    assert (a.labels, a.publish, a.github) == (b.labels, b.publish, b.github)
    assert a.policy.issues == (462, 470) and a.policy.issue_queries == ("milestone:v1.4",)
    assert a.policy.real_api_areas == ("backend", "gateway") and a.policy.today == dt.date(2026, 11, 25)
    assert (a.limits.max_file_bytes, a.limits.max_total_bytes) == (2 * 1024**2, 1024**3)
    assert a.artifacts.shards == {"real": 4} and a.artifacts.allow_stale
    assert a.outputs.links == "https://github.com/acme/voice/blob/abc"
    assert a.outputs == b.outputs  # the command line in a workflow annotates and confines as the Action does


def test_front_end_defaults(tmp_path):
    a = build_settings(cli(tmp_path), {"GITHUB_TOKEN": "ghs_env"})
    assert (a.outputs.json_report, a.outputs.summary, a.outputs.annotations) == (None, None, False)
    assert a.github.token == "ghs_env" and a.outputs.secrets == ("ghs_env",)
    assert a.sources.typed_outside_workspace and not a.outputs.confined
    env = action_env(tmp_path, GITHUB_STEP_SUMMARY="/runner/summary", GITHUB_TOKEN="ghs_env")
    b = build_settings(action(), env)
    assert (b.outputs.json_report, b.outputs.summary, b.outputs.annotations) == (
        "qualify-report.json",
        "/runner/summary",
        True,
    )
    assert b.github.token is None  # the Action's token is its `token` input (empty: none)
    assert b.sources.workspace == tmp_path and not b.sources.typed_outside_workspace and b.outputs.confined
    assert b.policy.real_api_areas == DEFAULT_REAL_API_AREAS and b.sources.tracking == ("docs/issues/**/TRACKING.md",)


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("issues", "462,four-seventy", "{issues}: 'four-seventy' is not an issue number"),
        ("issues", "milestone:", "{issues}: 'milestone:' names no milestone"),
        ("max-file-bytes", "-5", "{max-file-bytes}: '-5' is not a positive byte count"),
        ("max-total-bytes", "lots", "{max-total-bytes}: 'lots' is not a positive byte count"),
        ("mode", "strict", "{mode} must be enforce or report, got 'strict'"),
        ("results-run-id", "abc", "{results-run-id} must be a workflow run id"),
        ("shards", "3", "{shards} counts the artifacts of sharded results: give {real-results-artifact}"),
        ("real-results-artifact", "r", "{real-results-artifact}/{mock-results-artifact} needs the run"),
        ("results-run-id", "7", "{results-run-id}/{results-workflow} given without an artifact name"),
        ("real-results", "", "{real-results} required: the JUnit XML of the mock and the real-API job"),
        ("json-report", "../out.json", "{json-report} '../out.json' is outside the workspace"),
    ],
)
def test_messages_name_the_input_as_the_user_set_it(tmp_path, name, value, says):
    for raw, env, form in (
        (cli(tmp_path, **{name: value}), {"GITHUB_ACTIONS": "true"}, "--{}"),
        (action(**{name: value}), action_env(tmp_path), "input {}"),
    ):
        with pytest.raises(QualifyError) as err:
            build_settings(raw, env)
        expected = re.sub(r"\{([a-z-]+)\}", lambda m, form=form: form.format(m.group(1)), says)
        assert str(err.value).startswith(expected), (raw.origin, str(err.value))
        other = "input " if raw.origin == "cli" else "--"
        assert other + name not in str(err.value)


def test_booleans_are_true_or_false(tmp_path):
    with pytest.raises(QualifyError, match=r"^input comment must be true or false, got 'yes'"):
        build_settings(action(comment="yes"), action_env(tmp_path))
    with pytest.raises(QualifyError, match=r"^--today: '2026-13-01' is not a date like 2026-12-31"):
        build_settings(cli(tmp_path, today="2026-13-01"), {})


def test_settings_are_frozen(tmp_path):
    s = build_settings(action(**{"real-results-artifact": "r", "results-run-id": "5"}), action_env(tmp_path))
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.sources.mock = ("other",)  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.artifacts.names["mock"] = "other"  # type: ignore[index]
    with pytest.raises(TypeError):
        s.sources.tracking_texts["x"] = "y"  # type: ignore[index]
    assert all(dataclasses.is_dataclass(v) and v.__dataclass_params__.frozen for v in vars_of(s))


def vars_of(s: Settings) -> list[object]:
    return [getattr(s, f.name) for f in dataclasses.fields(s)]


def test_the_fallback_outputs_never_raise_and_are_the_builders(tmp_path):
    garbage = {name: "\x00 nonsense ,,, milestone:" for name in INPUTS if name not in BASE}
    for raw, env in ((action(**garbage), action_env(tmp_path)), (cli(tmp_path, **garbage), {})):
        with pytest.raises(QualifyError):
            build_settings(raw, env)
        assert output_settings(raw, env).json_report == garbage["json-report"]
    for raw, env in ((action(), action_env(tmp_path)), (cli(tmp_path, **{"json-report": "r.json"}), {})):
        built = build_settings(raw, env).outputs
        assert dataclasses.replace(output_settings(raw, env), links=built.links) == built


def test_the_real_api_areas_default_is_written_once():
    literal = re.compile(r"""\(\s*["']backend["']\s*,\s*["']proxy["']\s*\)""")
    where = [p.relative_to(ROOT).as_posix() for p in (ROOT / "qualify").rglob("*.py") if literal.search(p.read_text())]
    assert where == ["qualify/core/rules.py"]


def test_every_name_the_builder_reads_is_an_input_or_a_check_flag():
    from qualify.app.cli import build_parser
    from qualify.app.options import CLI_ONLY

    check = build_parser()._subparsers._group_actions[0].choices["check"]
    flags = {opt for a in check._actions for opt in a.option_strings}
    assert {f"--{name}" for name in (*INPUTS, *CLI_ONLY)} <= flags
    source = (ROOT / "qualify" / "app" / "options.py").read_text()
    read = set(re.findall(r"""raw\.(?:text|all)\(f?["']([a-z{}-]+)["']\)""", source))
    read = {n.replace("{job}", job) for n in read for job in ("mock", "real")}
    assert read and read <= {*INPUTS, *CLI_ONLY}, read - {*INPUTS, *CLI_ONLY}
