"""The aggregates' decisions: commands, invariants and typed errors."""

from __future__ import annotations

import uuid

import pytest

from domain import aggregates as ag
from domain import channel, membership, message, server, user
from domain.channel import ChannelKind
from domain.errors import AlreadyExists, Forbidden, InvalidCommand, NotFound
from domain.membership import Membership, Role
from domain.text import MESSAGE_MAX_CHARS

SERVER = uuid.uuid4()
OWNER, MOD, MEMBER, OUTSIDER = (uuid.uuid4() for _ in range(4))


def member(user_id: uuid.UUID, role: Role = Role.MEMBER) -> Membership:
    return ag.MEMBERSHIP.replay(uuid.uuid4(), membership.join(None, SERVER, user_id, role))  # type: ignore[return-value]


def public_channel(kind: ChannelKind = ChannelKind.PUBLIC) -> channel.Channel:
    events = channel.create(None, member(OWNER, Role.OWNER), SERVER, "talk", kind)
    state = ag.CHANNEL.replay(uuid.uuid4(), events)
    assert state is not None
    return state


def posted(author: uuid.UUID = MEMBER, ttl: int | None = None) -> message.Message:
    chan = public_channel()
    events = message.post(None, chan, author, member(author), "hello", None, None, 1_000, ttl)
    state = ag.MESSAGE.replay(uuid.uuid4(), events)
    assert state is not None
    return state


def test_server_starts_with_owner_and_general() -> None:
    general = uuid.uuid4()
    [created] = server.create(None, "  Fireside  ", OWNER, general)
    assert isinstance(created, server.ServerCreated)
    assert created.name == "Fireside" and created.general_channel_id == general
    with pytest.raises(AlreadyExists):
        server.create(ag.SERVER.replay(SERVER, [created]), "again", OWNER, general)


@pytest.mark.parametrize("name", ["", "   ", "a" * 101, "two\nlines", "bell\x07"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidCommand):
        server.create(None, name, OWNER, uuid.uuid4())


def test_only_moderators_create_channels_and_dms_are_not_created_in_servers() -> None:
    with pytest.raises(Forbidden):
        channel.create(None, member(MEMBER), SERVER, "x", ChannelKind.PUBLIC)
    with pytest.raises(InvalidCommand):
        channel.create(None, member(MOD, Role.MODERATOR), SERVER, "x", ChannelKind.DM)


def test_private_channel_is_hidden_from_members_but_not_moderators() -> None:
    private = public_channel(ChannelKind.PRIVATE)
    assert not private.readable_by(MEMBER, member(MEMBER))
    assert private.readable_by(MOD, member(MOD, Role.MODERATOR))
    with pytest.raises(NotFound):
        message.post(None, private, MEMBER, member(MEMBER), "hi", None, None, 0)


def test_dm_is_between_two_users_and_opening_twice_changes_nothing() -> None:
    events = channel.open_dm(None, OWNER, MEMBER)
    dm = ag.CHANNEL.replay(uuid.uuid4(), events)
    assert dm is not None and dm.readable_by(MEMBER, None) and not dm.readable_by(OUTSIDER, None)
    assert channel.open_dm(dm, MEMBER, OWNER) == []
    with pytest.raises(InvalidCommand):
        channel.open_dm(None, OWNER, OWNER)


@pytest.mark.parametrize(
    "content",
    ["", " \n\t ", "x" * (MESSAGE_MAX_CHARS + 1), "null\x00byte", "esc\x1b[31m", "half \ud800"],
)
def test_bad_message_content_is_refused(content: str) -> None:
    with pytest.raises(InvalidCommand):
        message.post(None, public_channel(), MEMBER, member(MEMBER), content, None, None, 0)


def test_message_limits_allow_newlines_tabs_and_the_full_length() -> None:
    [event] = message.post(
        None,
        public_channel(),
        MEMBER,
        member(MEMBER),
        "a\tb\n" + "c" * (MESSAGE_MAX_CHARS - 4),
        None,
        None,
        0,
    )
    assert isinstance(event, message.MessagePosted)
    assert event.content is not None and len(event.content) == MESSAGE_MAX_CHARS


def test_non_members_cannot_post() -> None:
    with pytest.raises(NotFound):
        message.post(None, public_channel(), OUTSIDER, None, "hi", None, None, 0)


def test_reply_must_point_into_the_same_channel() -> None:
    elsewhere = posted()
    with pytest.raises(InvalidCommand):
        message.post(
            None, public_channel(), MEMBER, member(MEMBER), "re", elsewhere, elsewhere.id, 0
        )


def test_only_the_author_edits_and_history_counts_edits() -> None:
    original = posted(MEMBER)
    with pytest.raises(Forbidden):
        message.edit(original, MOD, "not mine")
    [edited] = message.edit(original, MEMBER, "better")
    assert message.evolve(original, edited, original.id).edits == 1


def test_author_or_moderator_deletes_and_the_tombstone_is_final() -> None:
    original = posted(MEMBER)
    with pytest.raises(Forbidden):
        message.delete(original, OUTSIDER, None)
    [deleted] = message.delete(original, MOD, member(MOD, Role.MODERATOR))
    tombstone = message.evolve(original, deleted, original.id)
    assert tombstone.deleted
    with pytest.raises(NotFound):
        message.edit(tombstone, MEMBER, "too late")


def test_expiry_only_after_the_ttl() -> None:
    ephemeral = posted(ttl=10)
    with pytest.raises(InvalidCommand):
        message.expire(ephemeral, 1_000 + 9_999)
    [expired] = message.expire(ephemeral, 1_000 + 10_000)
    assert isinstance(expired, message.MessageDeleted) and expired.reason == "expired"
    with pytest.raises(InvalidCommand):
        message.post(None, public_channel(), MEMBER, member(MEMBER), "x", None, None, 0, 0)


def test_membership_rules() -> None:
    owner, mod, plain = member(OWNER, Role.OWNER), member(MOD, Role.MODERATOR), member(MEMBER)
    with pytest.raises(AlreadyExists):
        membership.join(plain, SERVER, MEMBER, Role.MEMBER)
    with pytest.raises(InvalidCommand):
        membership.leave(owner, owner)
    with pytest.raises(Forbidden):
        membership.leave(mod, plain)
    assert membership.leave(plain, mod)
    assert membership.leave(plain, plain)
    with pytest.raises(Forbidden):
        membership.change_role(plain, mod, Role.MODERATOR)
    assert membership.change_role(plain, owner, Role.MODERATOR)


def test_user_deletion_forgets_the_profile() -> None:
    uid = uuid.uuid4()
    registered = ag.USER.replay(uid, user.register(None, "dora", "Dora"))
    [deleted] = user.delete(registered)
    gone = user.evolve(registered, deleted, uid)
    assert gone.deleted and gone.username is None
    with pytest.raises(NotFound):
        user.delete(gone)
