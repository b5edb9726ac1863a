"""The web client's string catalogue (web/src/lib/i18n.js): the German locale is complete, and
each German text has the same placeholders and plural forms as the English one."""

from __future__ import annotations

import re
from pathlib import Path

CATALOGUE = Path(__file__).resolve().parents[2] / "web" / "src" / "lib" / "i18n.js"
ENTRY = re.compile(r"^  '([\w.]+)': (.+?),?$", re.MULTILINE)


def block(source: str, name: str) -> dict[str, str]:
    start = source.index(f"const {name} = {{\n")
    end = source.index("\n}\n", start)
    return {m.group(1): m.group(2) for m in ENTRY.finditer(source[start:end])}


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_german_has_every_english_key_and_no_other() -> None:
    source = CATALOGUE.read_text(encoding="utf-8")
    en, de = block(source, "en"), block(source, "de")
    assert len(en) > 200, len(en)
    assert sorted(set(en) - set(de)) == []
    assert sorted(set(de) - set(en)) == []


def test_placeholders_and_plurals_match() -> None:
    source = CATALOGUE.read_text(encoding="utf-8")
    en, de = block(source, "en"), block(source, "de")
    for key, text in en.items():
        assert placeholders(de[key]) == placeholders(text), key
        assert text.startswith("{") == de[key].startswith("{"), f"{key}: plural forms differ"
        assert de[key].strip("'\"") != "", key
