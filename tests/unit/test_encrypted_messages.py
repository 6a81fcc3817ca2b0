"""The domain's end-to-end encryption rules: which channels take ciphertext, the checks on an
encrypted message, edits in the form of the post, and the identity key stream."""

from __future__ import annotations

import uuid

import pytest

from domain import aggregates as ag
from domain import channel, identity_keys, membership, message
from domain.base64url import encode
from domain.channel import ChannelKind
from domain.errors import InvalidCommand
from domain.events import Event
from domain.ids import dm_channel_id
from domain.membership import Role

ALICE, BOB = uuid.uuid4(), uuid.uuid4()
KEY = encode(bytes(range(32)))


def sealed(
    size: int = 40, header: int = message.HEADER_BYTES, ephemeral_key: str = KEY
) -> message.EncryptedBody:
    initial = message.InitialMessage(
        identity_key=KEY, ephemeral_key=ephemeral_key, signed_prekey_id=1, one_time_prekey_id=None
    )
    return message.EncryptedBody(
        ciphertext=encode(bytes(size)), header=encode(bytes(header)), initial=initial
    )


def dm() -> channel.Channel:
    state = ag.CHANNEL.replay(dm_channel_id(ALICE, BOB), channel.open_dm(None, ALICE, BOB))
    assert state is not None
    return state


def public() -> channel.Channel:
    state = ag.CHANNEL.replay(uuid.uuid4(), channel.general(uuid.uuid4()))
    assert state is not None and state.kind is ChannelKind.PUBLIC
    return state


def post(target: channel.Channel, body: message.MessageBody) -> list[Event]:
    """Alice posts: as a DM party, or as the owner of the channel's server."""
    member = None
    if target.server_id is not None:
        joined = membership.join(None, target.server_id, ALICE, Role.OWNER)
        member = ag.MEMBERSHIP.replay(uuid.uuid4(), joined)
    return message.post(None, target, ALICE, member, body, None, None, 0)


def test_a_dm_takes_only_ciphertext_and_a_server_channel_only_plaintext() -> None:
    [posted] = post(dm(), sealed())
    assert isinstance(posted, message.MessagePosted)
    assert posted.content is None and posted.ciphertext == encode(bytes(40))
    assert posted.initial is not None and posted.initial.signed_prekey_id == 1
    with pytest.raises(InvalidCommand, match="end-to-end encrypted"):
        post(dm(), "hello")
    with pytest.raises(InvalidCommand, match="plaintext"):
        post(public(), sealed())
    [plain] = post(public(), "hello")
    assert isinstance(plain, message.MessagePosted)
    assert (plain.content, plain.ciphertext, plain.header, plain.initial) == (
        "hello",
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    "body",
    [
        sealed(size=message.MIN_CIPHERTEXT_BYTES - 1),
        sealed(size=message.MAX_CIPHERTEXT_BYTES + 1),
        sealed(header=message.HEADER_BYTES - 1),
        message.EncryptedBody(ciphertext=encode(bytes(40)) + "=", header=encode(bytes(41))),
        sealed(ephemeral_key=KEY[:-1]),
    ],
    ids=["short", "long", "header", "padding", "ephemeral key"],
)
def test_malformed_encrypted_messages_are_refused(body: message.EncryptedBody) -> None:
    with pytest.raises(InvalidCommand):
        post(dm(), body)


def test_an_edit_keeps_the_form_of_the_post() -> None:
    state = ag.MESSAGE.replay(uuid.uuid4(), post(dm(), sealed()))
    assert state is not None and state.encrypted
    with pytest.raises(InvalidCommand):
        message.edit(state, ALICE, "now in the clear")
    [edited] = message.edit(state, ALICE, sealed(size=50))
    assert isinstance(edited, message.MessageEdited) and edited.content is None
    plain = ag.MESSAGE.replay(uuid.uuid4(), post(public(), "hello"))
    assert plain is not None and not plain.encrypted
    with pytest.raises(InvalidCommand):
        message.edit(plain, ALICE, sealed())


def test_the_identity_key_stream_records_changes_only() -> None:
    stream = identity_keys.identity_keys_id(ALICE)
    assert stream == identity_keys.identity_keys_id(ALICE) != identity_keys.identity_keys_id(BOB)
    first = identity_keys.publish_identity_key(None, ALICE, KEY)
    state = identity_keys.IDENTITY_KEYS.replay(stream, first)
    assert identity_keys.publish_identity_key(state, ALICE, KEY) == []
    other = encode(bytes(32))
    [changed] = identity_keys.publish_identity_key(state, ALICE, other)
    assert changed == identity_keys.IdentityKeyPublished(
        user_id=ALICE, identity_key=other, previous_identity_key=KEY
    )
    with pytest.raises(InvalidCommand):
        identity_keys.publish_identity_key(state, ALICE, encode(bytes(31)))
