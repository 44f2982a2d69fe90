"""Tests of docgen's registry-validator rules (run by scripts/test with pytest).

The end-to-end cases run `docgen.py --check` on a copy of the repository's templates and
examples with a small schema given as JSON, so no provider build and no Terraform are needed.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import docgen  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _attr(desc: str, **kw) -> dict:
    return {"type": "string", "description": desc, **kw}


# Every attribute the repository's templates mention is not needed: the templates only use
# {{ .SchemaMarkdown }}, so a small schema with described attributes is enough.
SCHEMA = {
    "format_version": "1.0",
    "provider_schemas": {
        docgen.PROVIDER_SOURCE: {
            "provider": {
                "block": {
                    "description": "Guards the customer managed KMS key of an EKS cluster.",
                    "attributes": {"region": _attr("The AWS region to manage clusters in.", optional=True)},
                }
            },
            "resource_schemas": {
                "eks_encryption_config": {
                    "block": {
                        "description": "Associates a customer managed KMS key with a cluster.",
                        "attributes": {"cluster_name": _attr("Name of the EKS cluster.", required=True)},
                    }
                }
            },
            "data_source_schemas": {
                "eks_encryption_config": {
                    "block": {
                        "description": "Reads how a cluster's secrets are encrypted.",
                        "attributes": {"cluster_name": _attr("Name of the EKS cluster.", required=True)},
                    }
                }
            },
        }
    },
}


@pytest.fixture()
def repo_copy(tmp_path: Path) -> Path:
    """templates/ and examples/ of this repository in a scratch repository, plus the schema."""
    for d in ("templates", "examples"):
        shutil.copytree(REPO / d, tmp_path / d)
    (tmp_path / "schema.json").write_text(json.dumps(SCHEMA))
    return tmp_path


def run_docgen(repo: Path, *args: str) -> int:
    return docgen.main(["--repo", str(repo), "--schema-json", str(repo / "schema.json"), *args])


def test_generated_docs_pass_the_check(repo_copy: Path, capsys) -> None:
    assert run_docgen(repo_copy) == 0
    assert run_docgen(repo_copy, "--check") == 0, capsys.readouterr().err
    index = (repo_copy / "docs" / "index.md").read_text()
    assert "subcategory" not in docgen.parse_frontmatter(index)


def test_issue12_check_rejects_a_subcategory_on_the_index_page(repo_copy: Path, capsys) -> None:
    tmpl = repo_copy / "templates" / "index.md.tmpl"
    text = tmpl.read_text()
    assert text.startswith("---\n")
    tmpl.write_text(text.replace("---\n", '---\nsubcategory: ""\n', 1))
    assert run_docgen(repo_copy) == 1  # writes, and says what the check will reject
    capsys.readouterr()
    assert run_docgen(repo_copy, "--check") == 1
    err = capsys.readouterr().err
    assert "docs/index.md: error checking file frontmatter: YAML frontmatter should not contain subcategory" in err


def test_issue12_check_rejects_a_hand_edited_index_page(repo_copy: Path, capsys) -> None:
    """The committed tree is checked as the registry reads it, not only the regenerated one."""
    assert run_docgen(repo_copy) == 0
    index = repo_copy / "docs" / "index.md"
    index.write_text(index.read_text().replace("---\n", '---\nsubcategory: "Guides"\n', 1))
    assert run_docgen(repo_copy, "--check") == 1
    assert "should not contain subcategory" in capsys.readouterr().err


def test_guides_need_a_page_title(repo_copy: Path, capsys) -> None:
    guide = repo_copy / "templates" / "guides" / "no-title.md.tmpl"
    guide.write_text('---\nsubcategory: ""\ndescription: |-\n  A guide without a title.\n---\n\n# No title\n')
    assert run_docgen(repo_copy, "--check") == 1
    err = capsys.readouterr().err
    assert "docs/guides/no-title.md: error checking file frontmatter: YAML frontmatter missing required page_title" in err


@pytest.mark.parametrize(
    ("rel", "front", "expected"),
    [
        ("index.md", 'page_title: "p"\nsubcategory: ""', "should not contain subcategory"),
        ("index.md", 'page_title: "p"\nlayout: "x"', "should not contain layout"),
        ("guides/g.md", 'description: "d"', "missing required page_title"),
        ("guides/g.md", 'page_title: "p"\nsidebar_current: "x"', "should not contain sidebar_current"),
        ("resources/r.md", 'page_title: "p"\nlayout: "x"', "should not contain layout"),
        ("data-sources/d.md", 'page_title: "p"\nsidebar_current: "x"', "should not contain sidebar_current"),
        ("resources/r.md", 'page_title: "p"\npage_title: "q"', "error parsing YAML frontmatter"),
        ("resources/r.md", 'page_title: "p\nsubcategory: ""', "error parsing YAML frontmatter"),
        ("resources/r.html.markdown", 'page_title: "p"', "only reads .md files"),
        ("things/t.md", 'page_title: "p"', "outside the registry layout"),
        ("resources/deep/r.md", 'page_title: "p"', "outside the registry layout"),
    ],
)
def test_registry_rules_per_page_kind(rel: str, front: str, expected: str) -> None:
    problems = docgen.registry_problems({rel: f"---\n{front}\n---\n\n# Page\n"})
    assert any(expected in p for p in problems), problems


@pytest.mark.parametrize(
    ("rel", "front"),
    [
        ("index.md", 'page_title: "eks Provider"\ndescription: |-\n  Text.'),
        ("guides/g.md", 'page_title: "G"\nsubcategory: ""\ndescription: |-\n  Text.'),
        ("resources/r.md", 'page_title: "R"\nsubcategory: "Keys"\ndescription: |-\n  Text.'),
        ("data-sources/d.md", "page_title: D\nsubcategory: ''\ndescription: plain text # comment"),
        ("functions/f.md", 'page_title: "F"'),
    ],
)
def test_registry_rules_accept_valid_pages(rel: str, front: str) -> None:
    assert docgen.registry_problems({rel: f"---\n{front}\n---\n\n# Page\n"}) == []


def test_parse_frontmatter_values() -> None:
    fm = docgen.parse_frontmatter(
        '---\npage_title: "a \\"b\\""\nsubcategory: \'it\'\'s\'\ndescription: |-\n  one\n  two\n---\nbody\n'
    )
    assert fm == {"page_title": 'a "b"', "subcategory": "it's", "description": "one\ntwo"}
    with pytest.raises(ValueError, match="no frontmatter"):
        docgen.parse_frontmatter("# no front matter\n")
    with pytest.raises(ValueError, match="not closed"):
        docgen.parse_frontmatter("---\npage_title: x\n")
