"""Issue 12 regression, now guarded by the registry's own validator: `tfplugindocs validate`, as
scripts/docs --check runs it, rejects a docs/index.md whose front matter has a subcategory, and
accepts the same page without it. Uses the tfplugindocs that scripts/install-deps pins and
installs (scripts/test runs install-deps first)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCHEMA = {
    "format_version": "1.0",
    "provider_schemas": {
        "eks": {
            "provider": {"block": {"description": "Guards the customer managed KMS key of an EKS cluster."}},
            "resource_schemas": {},
            "data_source_schemas": {},
        }
    },
}


def tfplugindocs() -> Path:
    gomod = (REPO / "tools" / "tfplugindocs" / "go.mod").read_text()
    version = re.search(r"github\.com/hashicorp/terraform-plugin-docs (v\S+)", gomod).group(1)
    binary = REPO / ".cache" / "tools" / f"tfplugindocs-{version}" / "tfplugindocs"
    assert binary.is_file(), f"{binary} is missing: run scripts/install-deps --docs-tools"
    return binary


def validate(tmp_path: Path, front: str) -> subprocess.CompletedProcess:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(f"---\n{front}\n---\n\n# eks Provider\n")
    (tmp_path / "schema.json").write_text(json.dumps(SCHEMA))
    return subprocess.run(
        [str(tfplugindocs()), "validate", "--provider-name", "eks", "--providers-schema", "schema.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("subcategory", ['subcategory: ""', 'subcategory: "Guides"'])
def test_issue12_validate_rejects_a_subcategory_on_the_index_page(tmp_path: Path, subcategory: str) -> None:
    proc = validate(tmp_path, f'page_title: "eks Provider"\n{subcategory}\ndescription: |-\n  Text.')
    assert proc.returncode != 0
    assert "YAML frontmatter should not contain subcategory" in proc.stdout + proc.stderr


def test_issue12_validate_accepts_the_index_page_without_subcategory(tmp_path: Path) -> None:
    proc = validate(tmp_path, 'page_title: "eks Provider"\ndescription: |-\n  Text.')
    assert proc.returncode == 0, proc.stdout + proc.stderr
