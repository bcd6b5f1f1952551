"""action.yml, the entrypoint's input list and the CLI agree (users and tests rely on the names)."""

import yaml
from builders import ROOT

from qualify.app.action import INPUTS
from qualify.app.cli import build_parser

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def _check_flags() -> set[str]:
    check = build_parser()._subparsers._group_actions[0].choices["check"]
    return {opt for action in check._actions for opt in action.option_strings}


def test_action_inputs_are_the_ones_the_entrypoint_reads():
    assert list(ACTION["inputs"]) == list(INPUTS)


def test_every_input_has_a_cli_flag_of_the_same_name():
    flags = _check_flags()
    assert {f"--{name}" for name in ACTION["inputs"]} <= flags


def test_outputs_and_runtime():
    assert set(ACTION["outputs"]) == {"qualified", "report", "problems"}
    assert ACTION["runs"] == {"using": "docker", "image": "Dockerfile"}
    for name, spec in {**ACTION["inputs"], **ACTION["outputs"]}.items():
        assert spec.get("description"), name
    assert ACTION["inputs"]["json-report"]["default"] == "qualify-report.json"
    assert ACTION["inputs"]["token"]["default"] == "${{ github.token }}"
