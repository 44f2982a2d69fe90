"""scripts/cores-table.py: the per-core table scripts/test ends with."""

import importlib.util
import pathlib

REPO = pathlib.Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("cores_table", REPO / "scripts/cores-table.py")
cores_table = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cores_table)


def line(test, core, version, outcome):
    return (
        f'{{"test": "{test}", "core": "{core}", "kind": "x", "version": "{version}", '
        f'"path": "/x", "outcome": "{outcome}"}}'
    )


def test_counts_per_core_sorted_by_kind_then_version():
    rows = cores_table.table(
        [
            line("a", "tofu", "1.12.6", "passed"),
            line("a", "terraform", "1.11.4", "passed"),
            line("a", "terraform", "1.5.7", "failed"),
            line("b", "terraform", "1.5.7", "skipped"),
            line("b", "terraform", "1.5.7", "passed"),
            "",
            line("b", "tofu", "1.8.11", "passed"),
        ]
    )
    assert rows == [
        ("terraform", "1.5.7", 1, 1, 1),
        ("terraform", "1.11.4", 1, 0, 0),
        ("tofu", "1.8.11", 1, 0, 0),
        ("tofu", "1.12.6", 1, 0, 0),
    ]


def test_renders_a_markdown_table():
    text = cores_table.render([("tofu", "1.12.6", 3, 0, 1)])
    assert text.splitlines() == [
        "| core | version | passed | failed | skipped |",
        "|------|---------|--------|--------|---------|",
        "| tofu | 1.12.6  | 3      | 0      | 1       |",
    ]
