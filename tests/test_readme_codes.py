"""Every problem, warning and error code qualify can emit is in the one registry (qualify/codes.py),
and README's tables, generated from it, explain each one."""

import re
from pathlib import Path

from qualify import codes

ROOT = Path(__file__).resolve().parent.parent


def _emitted_codes() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "qualify").rglob("*.py"):
        if path.name == "codes.py":
            continue
        text = path.read_text()
        found |= set(re.findall(r'code="([a-z]+(?:-[a-z]+)+)"', text))
        found |= set(re.findall(r'_warning\("([a-z]+(?:-[a-z]+)+)"', text))
        found |= set(re.findall(r'"(test-(?:not-found|skipped|failed))"', text))
    return found


def _documented() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Problems and what to do\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Problems and what to do' section"
    return set(re.findall(r"^\| `([a-z-]+)` \|", section.group(1), re.M))


def test_every_emitted_code_is_registered():
    emitted = _emitted_codes()
    assert len(emitted) > 25  # the scan itself still finds the codes
    missing = sorted(emitted - set(codes.BY_NAME))
    assert not missing, f"codes emitted by qualify but missing from qualify/codes.py: {missing}"


def test_every_registered_code_is_explained_in_the_readme():
    missing = sorted(set(codes.BY_NAME) - _documented())
    assert not missing, f"run python3 scripts/readme_tables.py --write; not in README: {missing}"


def test_the_registry_names_each_code_once_with_a_meaning():
    names = [c.name for c in codes.REGISTRY]
    assert len(names) == len(set(names))
    for c in codes.REGISTRY:
        assert c.meaning, c.name
        assert c.kind == "warning" or c.fix, f"{c.name}: a problem or error needs `fix` (what to do)"
