"""UTS #39 mixed-script detection (users/scripts.py) on a corpus of names: single-script names in
many writing systems pass, look-alikes that mix scripts do not."""

import pytest

from tokenservice.users import scripts

SINGLE_SCRIPT = [
    "demo",
    "user_42",
    "jean-luc.picard",
    "müller",
    "ελληνικά",
    "русский",
    "\u0440\u0443\u0301\u0441\u0441\u043a\u0438\u0439",  # a combining acute (Inherited) in Cyrillic
    "日本語ひらがなカタカナ",  # Han + Hiragana + Katakana: Japanese
    "한국어漢字",  # Hangul + Han: Korean
    "中文注音ㄅㄆ",  # Han + Bopomofo
    "العربية",
    "עברית",
    "हिन्दी",
    "ไทย",
    "٠١٢",  # Arabic-Indic digits alone
    "42",
]
MIXED = [
    "d\u0435mo",  # a Cyrillic e among Latin letters
    "\u0440\u0430ypal",  # a Cyrillic p and a
    "g\u03bfogle",  # Greek omicron
    "a\u0391",
    "admin\u0661",  # Latin with an Arabic-Indic digit... and the digits below
    "1\u0661",  # two numbering systems
    "한국어ひらがな",  # Hangul with Hiragana: no writing system has both
]


@pytest.mark.parametrize("name", SINGLE_SCRIPT)
def test_single_script_names_pass(name):
    assert not scripts.is_mixed(name)


@pytest.mark.parametrize("name", MIXED)
def test_names_that_mix_scripts_are_found(name):
    assert scripts.is_mixed(name)


def test_the_bundled_data_is_what_the_unicode_files_give():
    from pathlib import Path

    directory = Path("/usr/share/unicode")
    if not (directory / "ScriptExtensions.txt").exists():
        pytest.skip("Debian's unicode-data is not installed (apt-get install unicode-data)")
    assert scripts.build(directory) == scripts.DATA.read_text(encoding="ascii")
