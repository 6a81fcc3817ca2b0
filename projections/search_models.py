"""What the message search index holds and answers, the same for every backend.

A query is parsed here, once, into words and quoted phrases, so SQLite FTS5, PostgreSQL and
Meilisearch all read the same request the same way (every word must match; a quoted phrase
must match in order). Backends mark highlights in their snippets with two control characters
that message text can never contain (``domain.text`` refuses them), and ``snippet_parts``
turns the marked text into plain segments: a client renders them as text, never as HTML.
"""

from __future__ import annotations

import re
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.hlc import HLC

HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"
ELLIPSIS = "…"
SNIPPET_WORDS = 24
"""About how many words of context a snippet shows around the matches."""
MAX_QUERY_CHARS = 200
MAX_QUERY_WORDS = 16

_PHRASE_OR_WORD = re.compile(r'"([^"]*)"|([^\s"]+)')
_WORD = re.compile(r"[^\W_]+")
"""Letters and digits: what the index tokenizers keep (an underscore separates, as there)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SearchDocument(_Frozen):
    """One indexed message: its current text and where it was said."""

    message_id: UUID
    server_id: UUID
    channel_id: UUID
    author_id: UUID
    hlc: HLC
    edited_hlc: HLC | None
    content: str


class IndexedMessage(_Frozen):
    """Where an indexed message lives; what an edit needs to rewrite its document."""

    message_id: UUID
    server_id: UUID
    channel_id: UUID
    author_id: UUID
    hlc: HLC

    def document(self, content: str, edited_hlc: HLC | None) -> SearchDocument:
        return SearchDocument(**self.model_dump(), content=content, edited_hlc=edited_hlc)


class SearchTerms(_Frozen):
    """A parsed query: phrases of one or more words, every one of which must match."""

    phrases: tuple[tuple[str, ...], ...]

    def text(self) -> str:
        """The query re-written with each multi-word phrase in double quotes: a form that
        PostgreSQL's ``websearch_to_tsquery`` and Meilisearch both read as these phrases."""
        return " ".join(
            phrase[0] if len(phrase) == 1 else '"' + " ".join(phrase) + '"'
            for phrase in self.phrases
        )


class SearchQuery(_Frozen):
    """A search inside one server, newest first; ``before`` pages back in time."""

    server_id: UUID
    terms: SearchTerms
    channel_id: UUID | None = None
    author_id: UUID | None = None
    before: HLC | None = None
    limit: int = 25


class SnippetPart(_Frozen):
    text: str
    highlight: bool


class SearchHit(_Frozen):
    message_id: UUID
    channel_id: UUID
    author_id: UUID
    hlc: str
    edited_hlc: str | None
    snippet: list[SnippetPart]


class InvalidQuery(ValueError):
    """The text cannot be searched (empty, too long, or without a single word)."""


def parse_query(text: str) -> SearchTerms:
    """Words and ``"quoted phrases"``; punctuation separates words, as every backend's
    tokenizer does, so the words kept are exactly the ones an index can hold."""
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"q is longer than {MAX_QUERY_CHARS} characters")
    phrases: list[tuple[str, ...]] = []
    for match in _PHRASE_OR_WORD.finditer(text):
        quoted, bare = match.groups()
        words = _WORD.findall(quoted if quoted is not None else bare)
        if quoted is not None and words:
            phrases.append(tuple(word.lower() for word in words))
        else:
            phrases.extend((word.lower(),) for word in words)
    if not phrases:
        raise InvalidQuery("q must contain at least one word")
    if sum(len(phrase) for phrase in phrases) > MAX_QUERY_WORDS:
        raise InvalidQuery(f"q has more than {MAX_QUERY_WORDS} words")
    return SearchTerms(phrases=tuple(phrases))


def snippet_parts(marked: str) -> list[SnippetPart]:
    """Split text marked with ``HIGHLIGHT_START``/``HIGHLIGHT_END`` into plain segments."""
    parts: list[SnippetPart] = []
    highlight = False
    for piece in re.split(f"([{HIGHLIGHT_START}{HIGHLIGHT_END}])", marked):
        if piece in (HIGHLIGHT_START, HIGHLIGHT_END):
            highlight = piece == HIGHLIGHT_START
        elif piece:
            if parts and parts[-1].highlight == highlight:
                parts[-1] = SnippetPart(text=parts[-1].text + piece, highlight=highlight)
            else:
                parts.append(SnippetPart(text=piece, highlight=highlight))
    return parts
