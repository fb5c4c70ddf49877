"""Mixed-script detection for usernames (Unicode UTS #39 §5.1, "single script" and "mixed
script"), from the Unicode Script_Extensions data bundled in `scripts.txt`.

A string is single-script when its *resolved script set* is not empty: the intersection, over its
characters, of each character's Script_Extensions, where Common and Inherited characters (digits,
punctuation, combining marks) count as every script, and Han, Hiragana, Katakana, Hangul and
Bopomofo also count as the writing systems that combine them (Jpan, Kore, Hanb), so Japanese and
Korean names are single-script. `demo` spelt with a Cyrillic e (U+0435) is mixed. Decimal digits
from two numbering systems are mixed too (§5.3). A character the data does not know is its own
script (Zzzz).

The data (`scripts.txt`: ranges of code points and their Script_Extensions, four-letter codes;
`*` for Common and Inherited) is made by `python -m tokenservice.users.scripts DIR` from
Scripts.txt, ScriptExtensions.txt and PropertyValueAliases.txt (Debian's `unicode-data` puts them
in /usr/share/unicode). It is read on the first check, only where a username is created.
"""

import bisect
import functools
import sys
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent / "scripts.txt"
ANY = "*"  # Common or Inherited: compatible with every script
UNKNOWN = frozenset({"Zzzz"})
# Writing systems that combine scripts (UTS #39 §5.1: the augmented script set).
AUGMENTED = {
    "Hani": {"Hanb", "Jpan", "Kore"},
    "Hira": {"Jpan"},
    "Kana": {"Jpan"},
    "Hang": {"Kore"},
    "Bopo": {"Hanb"},
}


@functools.cache
def _table() -> tuple[list[int], list[int], list[frozenset[str] | None]]:
    starts, ends, sets = [], [], []
    for line in DATA.read_text(encoding="ascii").splitlines():
        if not line or line.startswith("#"):
            continue
        start, end, *names = line.split()
        starts.append(int(start, 16))
        ends.append(int(end, 16))
        sets.append(None if names == [ANY] else _augmented(names))
    return starts, ends, sets


def _augmented(names: list[str]) -> frozenset[str]:
    return frozenset(names).union(*(AUGMENTED.get(name, ()) for name in names))


def script_set(char: str) -> frozenset[str] | None:
    """A character's augmented Script_Extensions; None for Common and Inherited (any script)."""
    starts, ends, sets = _table()
    index = bisect.bisect_right(starts, ord(char)) - 1
    if index >= 0 and ord(char) <= ends[index]:
        return sets[index]
    return UNKNOWN


def resolved(text: str) -> frozenset[str] | None:
    """The resolved script set (None: every script, for a string of Common/Inherited only)."""
    result: frozenset[str] | None = None
    for char in text:
        scripts = script_set(char)
        if scripts is not None:
            result = scripts if result is None else result & scripts
    return result


def is_mixed(text: str) -> bool:
    """Whether a string mixes scripts (or decimal digits of two numbering systems)."""
    scripts = resolved(text)
    zeros = {ord(char) - unicodedata.digit(char) for char in text if unicodedata.category(char) == "Nd"}
    return (scripts is not None and not scripts) or len(zeros) > 1


# -- making scripts.txt ------------------------------------------------------------------------------


def _ranges(path: Path):
    for line in path.read_text(encoding="utf-8").splitlines():
        data = line.split("#", 1)[0].strip()
        if not data:
            continue
        points, value = (part.strip() for part in data.split(";", 1))
        first, _, last = points.partition("..")
        yield int(first, 16), int(last or first, 16), value


def build(directory: Path) -> str:
    """scripts.txt from the Unicode data files in `directory`."""
    aliases = {}
    for line in (directory / "PropertyValueAliases.txt").read_text(encoding="utf-8").splitlines():
        parts = [part.strip() for part in line.split("#", 1)[0].split(";")]
        if parts[0] == "sc":
            aliases[parts[2]] = parts[1]
    points: dict[int, str] = {}
    for first, last, name in _ranges(directory / "Scripts.txt"):
        code = ANY if name in ("Common", "Inherited") else aliases[name]
        points.update(dict.fromkeys(range(first, last + 1), code))
    for first, last, codes in _ranges(directory / "ScriptExtensions.txt"):
        points.update(dict.fromkeys(range(first, last + 1), " ".join(sorted(codes.split()))))
    version = (directory / "Scripts.txt").read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
    lines = [f"# {version} with ScriptExtensions: first last scripts (* = Common or Inherited)"]
    start = previous = None
    for point in sorted(points):
        if start is not None and (point != previous + 1 or points[point] != points[start]):
            lines.append(f"{start:X} {previous:X} {points[start]}")
            start = None
        if start is None:
            start = point
        previous = point
    lines.append(f"{start:X} {previous:X} {points[start]}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(build(Path(sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode")))
