#!/usr/bin/env python3
"""The size table of `make package` and its goal.

    python3 infra/bootstrap_sizes.py [--goal BYTES] NAME=ZIP...

Prints one Markdown row per function: the bootstrap's size unzipped (what
Lambda downloads and maps at each cold start) and the zip's. Exits 1 when
any bootstrap is over the goal (default 8 000 000 bytes), naming them, so
the goal cannot be missed silently (docs/performance.md, "Release
artifacts"); 2 when a zip is missing or unreadable.
"""

import argparse
import os
import sys
import zipfile

GOAL_BYTES = 8_000_000


def unzipped_size(path):
    """The bytes the zip holds once extracted."""
    with zipfile.ZipFile(path) as archive:
        return sum(info.file_size for info in archive.infolist())


def table(functions, goal):
    """Rows of (name, bootstrap bytes, zip bytes, over the goal)."""
    rows = []
    for name, path in functions:
        size = unzipped_size(path)
        rows.append((name, size, os.path.getsize(path), size > goal))
    return rows


def render(rows, goal):
    lines = ["| function | bootstrap | zip |", "|---|---|---|"]
    for name, size, zipped, over in rows:
        mark = f" (over the {goal:,}-byte goal)" if over else ""
        lines.append(f"| {name} | {size / 1e6:.2f} MB ({size:,} bytes){mark} | {zipped / 1e6:.2f} MB |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--goal", type=int, default=GOAL_BYTES, help="bytes (default %(default)s)")
    parser.add_argument("functions", nargs="+", metavar="NAME=ZIP")
    args = parser.parse_args(argv)
    functions = []
    for item in args.functions:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            parser.error(f"{item!r} is not NAME=ZIP")
        functions.append((name, path))
    try:
        rows = table(functions, args.goal)
    except (OSError, zipfile.BadZipFile) as e:
        print(f"bootstrap_sizes: {e}", file=sys.stderr)
        return 2
    print(render(rows, args.goal))
    over = [name for name, _, _, is_over in rows if is_over]
    if over:
        print(f"over the {args.goal:,}-byte goal: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
