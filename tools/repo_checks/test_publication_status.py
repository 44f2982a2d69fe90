"""README's publication status (issue 22): the one statement of what a user can install
today. The release steps (CONTRIBUTING.md, "Cutting a release", step 4) update it; this keeps its form, and
any version it names, true to CHANGELOG.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATUS = re.compile(r"\*\*Publication status: (?P<what>[^*]+)\*\*")
NOT_YET = "not published yet."
PUBLISHED = re.compile(r"(?P<version>\d+\.\d+\.\d+) is on the Terraform Registry\.")
# "## 0.1.0 (Unreleased)" or "## 0.1.0 (December 6, 2026)".
HEADING = re.compile(r"^## (?P<version>\d+\.\d+\.\d+) \((?P<when>[^)]*)\)", re.MULTILINE)


def status(readme: str) -> str:
    found = STATUS.findall(readme)
    assert len(found) == 1, f"README.md must state the publication status exactly once, found {found}"
    return found[0]


def dated_versions(changelog: str) -> set[str]:
    return {m["version"] for m in HEADING.finditer(changelog) if m["when"] != "Unreleased"}


def check(readme: str, changelog: str) -> None:
    what = status(readme)
    dated = dated_versions(changelog)
    if what == NOT_YET:
        return
    m = PUBLISHED.fullmatch(what)
    assert m, f"unknown publication status {what!r}: use {NOT_YET!r} or 'X.Y.Z is on the Terraform Registry.'"
    assert m["version"] in dated, (
        f"README says {m['version']} is published, but CHANGELOG.md dates only {sorted(dated)}"
    )


def test_readme_states_the_publication_status_once_and_truly():
    check((ROOT / "README.md").read_text(), (ROOT / "CHANGELOG.md").read_text())


def test_the_check_refuses_what_would_mislead():
    unreleased = "## 0.1.0 (Unreleased)\n"
    released = "## 0.2.0 (Unreleased)\n\n## 0.1.0 (January 5, 2027)\n"
    check("**Publication status: not published yet.**", unreleased)
    check("**Publication status: 0.1.0 is on the Terraform Registry.**", released)
    for readme, changelog in [
        ("**Publication status: 0.1.0 is on the Terraform Registry.**", unreleased),
        ("**Publication status: 0.2.0 is on the Terraform Registry.**", released),
        ("**Publication status: soon.**", unreleased),
        ("no status at all", unreleased),
        ("**Publication status: not published yet.** **Publication status: not published yet.**", unreleased),
    ]:
        try:
            check(readme, changelog)
        except AssertionError:
            continue
        raise AssertionError(f"accepted {readme!r} with {changelog!r}")
