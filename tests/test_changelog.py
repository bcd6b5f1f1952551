"""CHANGELOG.md follows Keep a Changelog and has a section for the version the package reports."""

import re

from builders import ROOT

from qualify import __version__

TEXT = (ROOT / "CHANGELOG.md").read_text()


def test_the_current_version_has_a_section_and_a_link():
    versions = re.findall(r"^## \[([^\]]+)\]", TEXT, re.M)
    assert versions and versions[0] == __version__
    for version in versions:
        assert re.search(rf"^\[{re.escape(version)}\]: https://", TEXT, re.M), version


def test_sections_use_the_keep_a_changelog_headings():
    allowed = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    assert set(re.findall(r"^### (.+)$", TEXT, re.M)) <= allowed
