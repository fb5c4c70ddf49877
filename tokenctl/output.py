"""How tokenctl prints: one JSON document (`--json`), or a table of text; and how it reads a
password (from stdin only)."""

import json
import sys
import time

from tokenservice import admin


def emit_json(document) -> None:
    print(json.dumps(document, indent=None))


def table(rows: list[dict], columns: list[str]) -> None:
    if not rows:
        print("(none)")
        return
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    print(
        "  ".join(column.upper().ljust(width) for column, width in zip(columns, widths, strict=True)).rstrip()
    )
    for line in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def when(epoch: int | None) -> str | None:
    return None if epoch is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def read_password(args) -> str:
    """The password from stdin: typed without echo at a terminal, else the first line of input."""
    if not args.password_stdin:
        raise admin.AdminError("--password-stdin is required: passwords are never taken from arguments")
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Password: ")
    password = sys.stdin.readline()
    return password.removesuffix("\n").removesuffix("\r")
