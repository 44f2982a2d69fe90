#!/usr/bin/env python3
"""Prints the acceptance suite's outcomes per core as a table.

Reads the JSON lines the harness appends to $TF_ACC_RESULTS/results.jsonl
(acceptance-tests/src/context.rs, `record`): one line per scenario and core,
with its outcome `passed`, `failed` or `skipped` (a scenario that ran no
command on that core). Usage: cores-table.py RESULTS.jsonl
"""

import collections
import json
import sys


def table(lines):
    """Rows (core, version, passed, failed, skipped), oldest first per core."""
    counts = collections.OrderedDict()
    for line in lines:
        line = line.strip()
        if not line:
            continue
        r = json.loads(line)
        key = (r["core"], r["version"])
        counts.setdefault(key, collections.Counter())[r["outcome"]] += 1

    def order(key):
        core, version = key
        nums = tuple(int(p) if p.isdigit() else 0 for p in version.split("-")[0].split("."))
        return (core, nums)

    return [
        (core, version, c["passed"], c["failed"], c["skipped"])
        for (core, version), c in sorted(counts.items(), key=lambda kv: order(kv[0]))
    ]


def render(rows):
    head = ("core", "version", "passed", "failed", "skipped")
    cells = [head] + [tuple(str(x) for x in row) for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
    out = []
    for n, row in enumerate(cells):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if n == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            rows = table(f)
    except FileNotFoundError:
        print("(no acceptance scenario recorded an outcome)")
        return 0
    print(render(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
