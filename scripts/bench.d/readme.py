"""Puts a benchmark report into README.md's "Benchmarks" section.

Usage: readme.py REPORT.md README.md

The report's first line (its "## Benchmarks (<run>)" title) becomes the
"### Latest results" heading, every other heading goes one level down, and
the section's "(Tables: ... of run <run>.)" line names the run. Everything
else in the README, including the hand-written "Where we stand, and why",
is left as it is.
"""

import re
import sys

START = "### Latest results\n"
END = "### Where we stand, and why\n"


def render(report: str) -> tuple[str, str]:
    """The README section for a report, and the report's run name."""
    lines = report.rstrip("\n").split("\n")
    m = re.match(r"## Benchmarks \((\S+)\)$", lines[0])
    if not m:
        raise SystemExit(f"readme.py: not a benchmark report (first line {lines[0]!r})")
    body = ["#" + line if line.startswith("#") else line for line in lines[1:]]
    return START + "\n".join(body).strip("\n") + "\n\n", m.group(1)


def main() -> None:
    report_path, readme_path = sys.argv[1:3]
    with open(report_path, encoding="utf-8") as f:
        section, run = render(f.read())
    with open(readme_path, encoding="utf-8") as f:
        readme = f.read()
    try:
        a, b = readme.index(START), readme.index(END)
    except ValueError:
        raise SystemExit(f"readme.py: {readme_path} has no {START.strip()!r} ... {END.strip()!r} section")
    readme = readme[:a] + section + readme[b:]
    readme = re.sub(
        r"\(Tables: `bench-results/latest\.md` of run \S+\.\)",
        f"(Tables: `bench-results/latest.md` of run {run}.)",
        readme,
        count=1,
    )
    with open(readme_path, "w", encoding="utf-8") as f:
        f.write(readme)


if __name__ == "__main__":
    main()
