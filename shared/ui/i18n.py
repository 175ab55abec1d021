"""The one message catalogue of the web pages (`messages.json`): Dutch first, English too.

Templates never hold text of their own: they ask `t("key")`, `tn("key", count)` for a count,
and `label("kind", value)` for a value the API sends (a status, a reason, a category).

The APIs answer in English. Their most common validation messages are translated by the
patterns under `api_messages`; any other message is shown as the API wrote it, marked
`lang="en"` so a screen reader pronounces it correctly.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from shared.ui.settings import LANGUAGES, Language

log = logging.getLogger(__name__)
CATALOGUE_PATH = Path(__file__).parent / "messages.json"


@dataclass(frozen=True)
class Catalogue:
    messages: dict[str, dict[str, str]]
    api_messages: tuple[tuple[re.Pattern[str], dict[str, str]], ...]


@cache
def catalogue() -> Catalogue:
    raw: dict[str, Any] = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
    patterns = tuple(
        (re.compile(item["match"]), {k: v for k, v in item.items() if k != "match"})
        for item in raw["api_messages"]
    )
    return Catalogue(messages=raw["messages"], api_messages=patterns)


@dataclass(frozen=True)
class Message:
    """A text with the language it is in (an untranslated API message stays English)."""

    text: str
    lang: Language


class Translator:
    def __init__(self, lang: Language) -> None:
        self.lang: Language = lang if lang in LANGUAGES else "nl"
        self._messages = catalogue().messages

    def __call__(self, key: str, **values: object) -> str:
        entry = self._messages.get(key)
        if entry is None:
            log.warning("message %r is missing from the catalogue", key)
            return key
        text = entry.get(self.lang) or entry["nl"]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._messages

    def plural(self, key: str, count: int, **values: object) -> str:
        """`key.one` for 1, `key.other` for any other count; `{count}` is filled in."""
        return self(f"{key}.{'one' if count == 1 else 'other'}", count=count, **values)

    def label(self, kind: str, value: object) -> str:
        """The words for a value of the API (`label("intake_status", "submitted")`)."""
        if value is None:
            return ""
        key = f"enum.{kind}.{value}"
        return self(key) if key in self._messages else str(value)

    def problem(self, message: str) -> Message:
        """A field problem: the page's own (a catalogue key) or the API's (translated when
        a pattern knows it)."""
        if message in self._messages:
            return Message(self(message), self.lang)
        return self.api_message(message)

    def api_message(self, message: str) -> Message:
        message = message.removeprefix("Value error, ")
        for pattern, translations in catalogue().api_messages:
            found = pattern.fullmatch(message)
            if found and self.lang in translations:
                return Message(translations[self.lang].format(*found.groups()), self.lang)
        return Message(message, "en")
