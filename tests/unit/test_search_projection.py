"""The search projection's decisions, on in-memory fakes of its two ports."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from uuid import UUID, uuid4

import pytest

from domain.channel import ChannelCreated, ChannelDeleted, ChannelKind, ChannelUpdated
from domain.events import Envelope, Event
from domain.hlc import HLC
from domain.membership import MemberLeft
from domain.message import DeletionReason, MessageDeleted, MessageEdited, MessagePosted
from domain.user import UserDeleted
from projections import search
from projections.search_models import (
    IndexedMessage,
    InvalidQuery,
    SearchDocument,
    SnippetPart,
    parse_query,
    snippet_parts,
)

SERVER, ALICE, BOB = uuid4(), uuid4(), uuid4()


class FakeScope:
    def __init__(self) -> None:
        self.channels: dict[UUID, UUID] = {}
        self.messages: dict[UUID, IndexedMessage] = {}

    def add_public_channel(self, channel_id: UUID, server_id: UUID) -> None:
        self.channels[channel_id] = server_id

    def public_channel_server(self, channel_id: UUID) -> UUID | None:
        return self.channels.get(channel_id)

    def remove_channel(self, channel_id: UUID) -> None:
        del self.channels[channel_id]
        self.messages = {k: m for k, m in self.messages.items() if m.channel_id != channel_id}

    def add_message(self, message: IndexedMessage) -> None:
        self.messages[message.message_id] = message

    def message(self, message_id: UUID) -> IndexedMessage | None:
        return self.messages.get(message_id)

    def remove_message(self, message_id: UUID) -> None:
        del self.messages[message_id]


class FakeIndex:
    def __init__(self) -> None:
        self.documents: dict[UUID, SearchDocument] = {}

    def upsert(self, documents: Sequence[SearchDocument]) -> None:
        self.documents.update({d.message_id: d for d in documents})

    def delete(self, message_ids: Sequence[UUID]) -> None:
        for message_id in message_ids:
            self.documents.pop(message_id, None)

    def delete_channel(self, channel_id: UUID) -> None:
        self.documents = {k: d for k, d in self.documents.items() if d.channel_id != channel_id}


class FakeView:
    def __init__(self) -> None:
        self.scope = FakeScope()
        self.index = FakeIndex()
        self._clock = itertools.count(1)

    def apply(self, aggregate_id: UUID, event: Event) -> HLC:
        hlc = HLC(1_700_000_000_000 + next(self._clock), 0, "node")
        search.apply(Envelope(uuid4(), aggregate_id, 1, hlc, event), self)
        return hlc

    def channel(self, kind: ChannelKind) -> UUID:
        channel_id = uuid4()
        members = (ALICE, BOB) if kind is ChannelKind.DM else None
        server = None if kind is ChannelKind.DM else SERVER
        self.apply(
            channel_id, ChannelCreated(server_id=server, name="c", kind=kind, dm_members=members)
        )
        return channel_id

    def post(self, channel_id: UUID, content: str | None, **fields: str) -> UUID:
        message_id = uuid4()
        self.apply(
            message_id,
            MessagePosted(channel_id=channel_id, author_id=ALICE, content=content, **fields),
        )
        return message_id

    def texts(self) -> dict[UUID, str]:
        return {k: d.content for k, d in self.index.documents.items()}


@pytest.fixture
def view() -> FakeView:
    return FakeView()


def test_public_messages_are_indexed_with_where_and_when(view: FakeView) -> None:
    channel = view.channel(ChannelKind.PUBLIC)
    message = uuid4()
    hlc = view.apply(message, MessagePosted(channel_id=channel, author_id=BOB, content="hello"))
    assert view.index.documents[message] == SearchDocument(
        message_id=message,
        server_id=SERVER,
        channel_id=channel,
        author_id=BOB,
        hlc=hlc,
        edited_hlc=None,
        content="hello",
    )


def test_private_channels_and_dms_are_never_indexed(view: FakeView) -> None:
    private = view.channel(ChannelKind.PRIVATE)
    dm = view.channel(ChannelKind.DM)
    view.post(private, "a moderators' secret")
    view.post(dm, None, ciphertext="AAAA", header="BBBB")
    view.post(uuid4(), "into a channel the view never saw")
    assert view.index.documents == {}
    assert view.scope.channels == {} and view.scope.messages == {}


def test_an_edit_replaces_the_document(view: FakeView) -> None:
    channel = view.channel(ChannelKind.PUBLIC)
    message = view.post(channel, "first words")
    edited = view.apply(message, MessageEdited(content="second thoughts"))
    assert view.texts() == {message: "second thoughts"}
    assert view.index.documents[message].edited_hlc == edited


def test_deletion_and_expiry_remove_the_document(view: FakeView) -> None:
    channel = view.channel(ChannelKind.PUBLIC)
    deleted, expired, kept = (view.post(channel, text) for text in ("a", "b", "c"))
    view.apply(deleted, MessageDeleted(by=ALICE, reason=DeletionReason.DELETED))
    view.apply(expired, MessageDeleted(by=None, reason=DeletionReason.EXPIRED))
    assert view.texts() == {kept: "c"}
    assert set(view.scope.messages) == {kept}


def test_an_edit_after_deletion_cannot_bring_the_text_back(view: FakeView) -> None:
    channel = view.channel(ChannelKind.PUBLIC)
    message = view.post(channel, "gone")
    view.apply(message, MessageDeleted(by=ALICE, reason=DeletionReason.DELETED))
    view.apply(message, MessageEdited(content="back again"))
    assert view.index.documents == {}


def test_a_shredded_post_is_not_indexed_on_replay(view: FakeView) -> None:
    """Replaying the log after a deletion reads the post with its key destroyed: no text."""
    channel = view.channel(ChannelKind.PUBLIC)
    view.post(channel, None)
    assert view.index.documents == {}


def test_deleting_a_channel_removes_its_documents_only(view: FakeView) -> None:
    doomed, other = view.channel(ChannelKind.PUBLIC), view.channel(ChannelKind.PUBLIC)
    view.post(doomed, "x")
    kept = view.post(other, "y")
    view.apply(doomed, ChannelDeleted(by=ALICE))
    assert view.texts() == {kept: "y"}
    assert set(view.scope.channels) == {other}


def test_events_that_change_no_document_are_ignored(view: FakeView) -> None:
    channel = view.channel(ChannelKind.PUBLIC)
    message = view.post(channel, "stays")
    view.apply(channel, ChannelUpdated(name="renamed", topic="t", by=ALICE))
    view.apply(uuid4(), MemberLeft(by=ALICE))
    view.apply(ALICE, UserDeleted())
    view.apply(view.channel(ChannelKind.PRIVATE), ChannelDeleted(by=ALICE))
    assert view.texts() == {message: "stays"}


def test_queries_parse_into_words_and_phrases() -> None:
    assert parse_query('Hello "big  World" it\'s').phrases == (
        ("hello",),
        ("big", "world"),
        ("it",),
        ("s",),
    )
    assert parse_query('"unclosed phrase').phrases == (("unclosed",), ("phrase",))
    assert parse_query("snake_case-word").text() == "snake case word"
    assert parse_query('"two words"').text() == '"two words"'


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "at least one word"), ('!! "" -', "at least one word"), ("x" * 201, "longer than")],
)
def test_unsearchable_queries_are_refused(text: str, says: str) -> None:
    with pytest.raises(InvalidQuery, match=says):
        parse_query(text)


def test_too_many_words_are_refused() -> None:
    with pytest.raises(InvalidQuery, match="more than 16 words"):
        parse_query(" ".join(["w"] * 17))


def test_snippets_split_into_plain_and_highlighted_parts() -> None:
    assert snippet_parts("say \x02hello\x03 and \x02bye\x03\x02now\x03!") == [
        SnippetPart(text="say ", highlight=False),
        SnippetPart(text="hello", highlight=True),
        SnippetPart(text=" and ", highlight=False),
        SnippetPart(text="byenow", highlight=True),
        SnippetPart(text="!", highlight=False),
    ]
    assert snippet_parts("<b>no markers</b>") == [
        SnippetPart(text="<b>no markers</b>", highlight=False)
    ]
