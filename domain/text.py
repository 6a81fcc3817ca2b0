"""Rules for user-written text: names, topics and message bodies.

Control characters other than newline and tab are refused (they hide content in
terminals and logs), as are lone surrogates, which cannot be encoded as UTF-8.
"""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidCommand

MESSAGE_MAX_CHARS = 4000
NAME_MAX_CHARS = 100
TOPIC_MAX_CHARS = 1024

_ALLOWED_CONTROLS = frozenset("\n\t")


def _check_characters(field: str, value: str) -> None:
    for char in value:
        if 0xD800 <= ord(char) <= 0xDFFF:
            raise InvalidCommand(f"{field} contains an invalid Unicode surrogate")
        if unicodedata.category(char) == "Cc" and char not in _ALLOWED_CONTROLS:
            raise InvalidCommand(f"{field} contains a control character (U+{ord(char):04X})")


def message_body(value: str) -> str:
    """A message body: NFC-normalised, not blank, at most ``MESSAGE_MAX_CHARS`` characters."""
    value = unicodedata.normalize("NFC", value)
    if not value.strip():
        raise InvalidCommand("content must not be empty or only whitespace")
    if len(value) > MESSAGE_MAX_CHARS:
        raise InvalidCommand(f"content is longer than {MESSAGE_MAX_CHARS} characters")
    _check_characters("content", value)
    return value


def display_name(field: str, value: str, max_chars: int = NAME_MAX_CHARS) -> str:
    """A one-line name (server, channel): trimmed, NFC, 1..max_chars, no line breaks."""
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise InvalidCommand(f"{field} must not be empty")
    if len(value) > max_chars:
        raise InvalidCommand(f"{field} is longer than {max_chars} characters")
    if "\n" in value or "\t" in value:
        raise InvalidCommand(f"{field} must be a single line")
    _check_characters(field, value)
    return value


def topic(value: str) -> str:
    """A channel topic: may be empty, at most ``TOPIC_MAX_CHARS`` characters."""
    value = unicodedata.normalize("NFC", value).strip()
    if len(value) > TOPIC_MAX_CHARS:
        raise InvalidCommand(f"topic is longer than {TOPIC_MAX_CHARS} characters")
    _check_characters("topic", value)
    return value
