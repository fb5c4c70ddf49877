"""What an import did, or would do (`--dry-run`), row by row: created, already there (left as it
is), skipped with the reason, and warnings about what was carried differently. Never a password,
hash or secret: a new secret (`--new-secrets`) is the one thing shown, once, by the caller.

And reading an export's CSV: UTF-8 (with or without a BOM), column names in any case, one-line
errors for what cannot be read.
"""

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from pynamodb.models import Model

from tokenservice.core import problems
from tokenservice.core.text import printable
from tokenservice.store import storage

MAX_FILE_BYTES = 256 * 1024 * 1024


class UnreadableExport(problems.Invalid):
    """A file that cannot be imported at all; the message says why, in one line."""


def shown(value: str) -> str:
    """A name from an export, safe to print (no control characters, bounded)."""
    return printable(value) if not value.isprintable() else value[:80]


@dataclass
class Report:
    kind: str  # "users" | "applications"
    dry_run: bool = False
    created: list[dict] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def skip(self, row: int, name: str, reason: str) -> None:
        self.skipped.append({"row": row, "name": shown(name), "reason": reason})

    def warn(self, name: str, text: str) -> None:
        self.warnings.append(f"{shown(name)}: {text}")

    def document(self) -> dict:
        return {
            "kind": self.kind,
            "dry_run": self.dry_run,
            "created": self.created,
            "existing": self.existing,
            "skipped": self.skipped,
            "warnings": self.warnings,
        }

    def lines(self) -> list[str]:
        """The report as text, one finding a line."""
        verb = "would create" if self.dry_run else "created"
        lines = [
            f"{self.kind}: {verb} {len(self.created)}, {len(self.existing)} already here (unchanged),"
            f" {len(self.skipped)} skipped"
        ]
        lines += [f"  {verb}: {', '.join(f'{k} {v}' for k, v in item.items() if v)}" for item in self.created]
        lines += [f"  unchanged: {name}" for name in self.existing]
        lines += [f"  skipped row {s['row']} ({s['name'] or '-'}): {s['reason']}" for s in self.skipped]
        lines += [f"  note: {warning}" for warning in self.warnings]
        return lines


def read_csv(path: str | Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV export as (line number, {COLUMN: value}) with upper-case column names;
    UnreadableExport naming what is missing or unreadable."""
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise UnreadableExport(f"cannot read {path}: {error.strerror or error}") from error
    if len(data) > MAX_FILE_BYTES:
        raise UnreadableExport(f"{path} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableExport(f"{path} is not UTF-8 text (export the CSV as UTF-8)") from error
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [name.strip().upper() for name in next(reader, [])]
        missing = [name for name in required if name not in header]
        if missing:
            raise UnreadableExport(f"{path} has no column {', '.join(missing)}")
        rows = [
            (reader.line_num, {name: value.strip() for name, value in zip(header, row, strict=False)})
            for row in reader
            if any(cell.strip() for cell in row)
        ]
    except csv.Error as error:
        raise UnreadableExport(f"{path} is not a CSV file: {error}") from error
    return rows


BATCH = 100  # keys in one BatchGetItem


def existing(model: type[Model], keys: list[str]) -> set[str]:
    """Which of these keys have an item already (strongly consistent reads, 100 at a time)."""
    found: set[str] = set()
    for start in range(0, len(keys), BATCH):
        chunk = list(dict.fromkeys(keys[start : start + BATCH]))
        items = storage.get_many([(model, key) for key in chunk])
        found.update(key for key, item in zip(chunk, items, strict=True) if item is not None)
    return found
