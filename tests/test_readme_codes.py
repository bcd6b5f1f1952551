"""Every problem, warning and error code qualify can emit is explained in the README's table."""

import re
from pathlib import Path

from qualify.errors import CODES

ROOT = Path(__file__).resolve().parent.parent


def _emitted_codes() -> set[str]:
    found: set[str] = set(CODES)
    for path in (ROOT / "qualify").rglob("*.py"):
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


def test_every_emitted_code_is_documented():
    emitted = _emitted_codes()
    assert len(emitted) > 30  # the scan itself still finds the codes
    missing = sorted(emitted - _documented())
    assert not missing, f"codes emitted by qualify but not explained in README 'Problems and what to do': {missing}"
