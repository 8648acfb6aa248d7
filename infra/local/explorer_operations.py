"""Checks that a page rendered by Swagger UI lists every operation of an
OpenAPI document.

    python3 explorer_operations.py docs/openapi.yaml rendered.html

Swagger UI gives each operation's block the id
`operations-<tag>-<operationId>`; every `operationId` of the document must
have one. Exits 1 naming the missing operations.
"""

import re
import sys


def operation_ids(openapi_text):
    """The `operationId`s of an OpenAPI document (YAML), in order."""
    return re.findall(r"^\s+operationId:\s*['\"]?([A-Za-z0-9_.-]+)", openapi_text, re.MULTILINE)


def listed_operations(html):
    """The operationIds whose blocks a rendered Swagger UI page holds."""
    ids = re.findall(r'id="operations-[^"]*?-([A-Za-z0-9_.]+)"', html)
    return set(ids)


def missing(openapi_text, html):
    listed = listed_operations(html)
    return [op for op in operation_ids(openapi_text) if op not in listed]


def main(argv):
    openapi_path, html_path = argv[1], argv[2]
    with open(openapi_path, encoding="utf-8") as f:
        openapi_text = f.read()
    with open(html_path, encoding="utf-8") as f:
        html = f.read()
    ops = operation_ids(openapi_text)
    if not ops:
        print(f"no operationId in {openapi_path}", file=sys.stderr)
        return 1
    absent = missing(openapi_text, html)
    if absent:
        print(f"{len(absent)} of {len(ops)} operations not listed on the page: {', '.join(absent)}", file=sys.stderr)
        return 1
    print(f"all {len(ops)} operations listed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
