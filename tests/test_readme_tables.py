"""README.md's Inputs/Outputs tables are the ones scripts/readme_tables.py generates from action.yml."""

import subprocess
import sys

import yaml
from builders import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import readme_tables

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def test_readme_tables_are_current():
    readme = (ROOT / "README.md").read_text()
    assert readme_tables.render(readme, ACTION) == readme, "run: python3 scripts/readme_tables.py --write"


def test_every_input_and_output_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in [*ACTION["inputs"], *ACTION["outputs"]]:
        assert f"| `{name}` |" in readme, name


def test_check_fails_on_a_stale_table_and_write_repairs_it(tmp_path):
    action = dict(ACTION, inputs={**ACTION["inputs"], "new-input": {"description": "a | b", "required": False}})
    (tmp_path / "action.yml").write_text(yaml.safe_dump(action, sort_keys=False))
    readme = tmp_path / "README.md"
    readme.write_text((ROOT / "README.md").read_text())
    script = [sys.executable, str(ROOT / "scripts" / "readme_tables.py"), "--readme", str(readme),
              "--action", str(tmp_path / "action.yml")]  # fmt: skip
    stale = subprocess.run([*script, "--check"], capture_output=True, text=True, timeout=60)
    assert stale.returncode == 1 and "readme_tables.py --write" in stale.stderr
    assert subprocess.run([*script, "--write"], timeout=60).returncode == 0
    assert "| `new-input` | no | (none) | a \\| b |" in readme.read_text()
    assert subprocess.run([*script, "--check"], timeout=60).returncode == 0


def test_missing_markers_are_an_error(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no tables\n")
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "readme_tables.py"), "--check", "--readme", str(readme)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2 and "action-inputs:start" in r.stderr
