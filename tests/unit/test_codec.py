"""The stored form of events: sealed personal fields, shredding, and upcasting."""

from __future__ import annotations

import json
import uuid

import pytest
from eventsourcing.persistence import StoredEvent

from domain.channel import ChannelCreated, ChannelKind
from domain.events import Envelope, catalogue
from domain.hlc import HLC
from domain.message import MessagePosted
from infra.eventstore.codec import EventCodec, MissingKey
from infra.eventstore.sealing import SealingError, new_key

codec = EventCodec(catalogue)


def envelope(event: MessagePosted | ChannelCreated, version: int = 1) -> Envelope:
    return Envelope(
        event_id=uuid.uuid4(),
        aggregate_id=uuid.uuid4(),
        version=version,
        hlc=HLC(1_700_000_000_000, 0, "n"),
        event=event,
    )


def a_message(text: str) -> Envelope:
    return envelope(MessagePosted(channel_id=uuid.uuid4(), author_id=uuid.uuid4(), content=text))


def test_sealed_fields_never_reach_the_stored_bytes_in_clear() -> None:
    original = a_message("the secret marker 8f1e")
    key = new_key()
    stored = codec.encode(original, key)
    assert b"8f1e" not in stored.state
    assert codec.decode(stored, {original.aggregate_id: key}) == original


def test_without_its_key_the_content_reads_as_none_and_the_event_remains() -> None:
    original = a_message("forget me")
    stored = codec.encode(original, new_key())
    shredded = codec.decode(stored, {})
    assert isinstance(shredded.event, MessagePosted)
    assert shredded.event.content is None
    assert shredded.event.channel_id == original.event.channel_id  # type: ignore[attr-defined]


def test_sealed_content_is_bound_to_its_event() -> None:
    original = a_message("bound")
    key = new_key()
    stored = codec.encode(original, key)
    moved = StoredEvent(
        stored.originator_id, stored.originator_version + 1, stored.topic, stored.state
    )
    with pytest.raises(SealingError):
        codec.decode(moved, {original.aggregate_id: key})


def test_sealing_requires_a_key() -> None:
    with pytest.raises(MissingKey):
        codec.encode(a_message("no key"), None)


def test_channel_created_v1_is_read_through_its_upcaster() -> None:
    """v1 stored ``private: bool``; reading it yields today's v2 event with ``kind``."""
    aggregate_id = uuid.uuid4()
    v1_state = {
        "event_id": str(uuid.uuid4()),
        "hlc": "001700000000000-00000-n",
        "class_version": 1,
        "data": {"server_id": str(uuid.uuid4()), "name": "staff", "topic": "", "private": True},
    }
    stored = StoredEvent(aggregate_id, 1, "ChannelCreated", json.dumps(v1_state).encode())
    decoded = codec.decode(stored, {})
    assert isinstance(decoded.event, ChannelCreated)
    assert decoded.event.kind is ChannelKind.PRIVATE
    assert decoded.event.dm_members is None
    assert json.loads(codec.encode(decoded, None).state)["class_version"] == 2
