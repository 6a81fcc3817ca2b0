"""Realistic events for the benchmarks, made by the domain's own decisions.

Every change comes from the domain functions the commands use (``message.post``,
``membership.join`` …), so events have their real shape, size and sealed fields.
The traffic is the same for a given seed, but for its timestamps: servers with a
few channels, users joining, and mostly messages, some of them replies, edits and
deletions.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar
from uuid import UUID

from api.chat_commands import ChatCommands
from domain import aggregates as ag
from domain import channel, membership, message, server, user
from domain.aggregates import Change
from domain.channel import Channel, ChannelKind
from domain.events import Event
from domain.ids import membership_id
from domain.membership import Membership, Role
from infra.eventstore.store import EventStore

SAMPLE_TEXT = (
    "the release build passes on arm64 now can someone review my patch before friday "
    "lunch is at noon in the usual place thanks for the logs I will look tonight "
    "the federation test failed again on the second node because of a clock step "
    "welcome to the server please read the rules in general before you post"
)
WORDS = tuple(SAMPLE_TEXT.split())

# Share of each action in the traffic; what is left after these are posts.
EDIT_SHARE, DELETE_SHARE, JOIN_SHARE, CHANNEL_SHARE = 0.07, 0.03, 0.03, 0.005
REPLY_SHARE = 0.1
TEXT_POOL = 1000

S = TypeVar("S")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 30)))


@dataclass
class Community:
    """One server as the domain sees it: its channels and its members' memberships."""

    server_id: UUID
    channels: list[Channel]
    members: list[Membership] = field(default_factory=list)


@dataclass
class _Posted:
    id: UUID
    version: int
    state: message.Message


def random_id(rng: random.Random) -> UUID:
    """A version-4 UUID drawn from ``rng``, so a seed gives the same ids every run."""
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def new_user(rng: random.Random) -> Change:
    user_id = random_id(rng)
    name = f"user{user_id.hex[:8]}"
    return Change(user_id, 0, user.register(None, name, name.title()))


def found_server(owner: UUID, name: str, rng: random.Random) -> tuple[Community, list[Change]]:
    """A new server with its #general channel and its owner, as the create-server command does."""
    server_id, general_id = random_id(rng), random_id(rng)
    owner_id = membership_id(server_id, owner)
    general = channel.general(server_id)
    joined = membership.join(None, server_id, owner, Role.OWNER)
    changes = [
        Change(server_id, 0, server.create(None, name, owner, general_id)),
        Change(general_id, 0, general),
        Change(owner_id, 0, joined),
    ]
    community = Community(server_id, [_replay(ag.CHANNEL, general_id, general)])
    community.members.append(_replay(ag.MEMBERSHIP, owner_id, joined))
    return community, changes


def post(target: Channel, author: Membership, text: str) -> Change:
    """A new message aggregate, decided as the post-message command decides it."""
    events = message.post(None, target, author.user_id, author, text, None, None, now_ms())
    return Change(uuid.uuid4(), 0, events)


class ChatTraffic:
    """A seeded stream of changes: founding a few servers, then everyday chat."""

    def __init__(self, seed: int = 2024, servers: int = 4, members_per_server: int = 40) -> None:
        self._rng = random.Random(seed)
        self._servers = servers
        self._members_per_server = members_per_server
        self._communities: list[Community] = []
        self._recent: deque[_Posted] = deque(maxlen=1000)
        self._texts = [sentence(self._rng) for _ in range(TEXT_POOL)]

    def changes(self) -> Iterator[Change]:
        """Endless: the founding of the servers first, then traffic."""
        yield from self._founding()
        while True:
            yield from self._step()

    def _founding(self) -> Iterator[Change]:
        for number in range(self._servers):
            owner = new_user(self._rng)
            community, changes = found_server(owner.aggregate_id, f"server {number}", self._rng)
            self._communities.append(community)
            yield owner
            yield from changes
            for _ in range(self._members_per_server):
                yield from self._join(community)
            for name in ("random", "help"):
                yield self._new_channel(community, name)

    def _step(self) -> Iterator[Change]:
        roll = self._rng.random()
        community = self._rng.choice(self._communities)
        if roll < EDIT_SHARE and self._recent:
            yield self._edit()
        elif roll < EDIT_SHARE + DELETE_SHARE and self._recent:
            yield self._delete()
        elif roll < EDIT_SHARE + DELETE_SHARE + JOIN_SHARE:
            yield from self._join(community)
        elif roll < EDIT_SHARE + DELETE_SHARE + JOIN_SHARE + CHANNEL_SHARE:
            yield self._new_channel(community, f"topic-{len(community.channels)}")
        else:
            yield self._post(community)

    def _join(self, community: Community) -> Iterator[Change]:
        joining = new_user(self._rng)
        member_id = membership_id(community.server_id, joining.aggregate_id)
        events = membership.join(None, community.server_id, joining.aggregate_id, Role.MEMBER)
        community.members.append(_replay(ag.MEMBERSHIP, member_id, events))
        yield joining
        yield Change(member_id, 0, events)

    def _new_channel(self, community: Community, name: str) -> Change:
        channel_id = random_id(self._rng)
        owner = community.members[0]
        events = channel.create(None, owner, community.server_id, name, ChannelKind.PUBLIC)
        community.channels.append(_replay(ag.CHANNEL, channel_id, events))
        return Change(channel_id, 0, events)

    def _post(self, community: Community) -> Change:
        target = self._rng.choice(community.channels)
        author = self._rng.choice(community.members)
        replied = self._reply_target(target)
        events = message.post(
            None,
            target,
            author.user_id,
            author,
            self._rng.choice(self._texts),
            replied.state if replied else None,
            replied.id if replied else None,
            now_ms(),
        )
        message_id = random_id(self._rng)
        self._recent.append(_Posted(message_id, 1, _replay(ag.MESSAGE, message_id, events)))
        return Change(message_id, 0, events)

    def _reply_target(self, target: Channel) -> _Posted | None:
        if self._rng.random() >= REPLY_SHARE:
            return None
        candidates = [p for p in list(self._recent)[-50:] if p.state.channel_id == target.id]
        return candidates[-1] if candidates else None

    def _edit(self) -> Change:
        posted = self._rng.choice(self._recent)
        events = message.edit(posted.state, posted.state.author_id, self._rng.choice(self._texts))
        change = Change(posted.id, posted.version, events)
        posted.version += len(events)
        return change

    def _delete(self) -> Change:
        posted = self._rng.choice(self._recent)
        self._recent.remove(posted)
        events = message.delete(posted.state, posted.state.author_id, None)
        return Change(posted.id, posted.version, events)


def _replay(kind: ag.AggregateKind[S], aggregate_id: UUID, events: list[Event]) -> S:
    state = kind.replay(aggregate_id, events)
    if state is None:
        raise ValueError(f"no {kind.name} after its first events")
    return state


def append_in_batches(store: EventStore, changes: Iterable[Change], events: int, batch: int) -> int:
    """Append changes, ``batch`` per call, until at least ``events`` events; how many were written.

    Many changes per call is how a busy node's group commit writes anyway, and it
    keeps filling a large log to a few commits instead of one fsync per message.
    """
    written, pending = 0, []
    for change in changes:
        pending.append(change)
        written += len(change.events)
        if len(pending) >= batch:
            store.append(pending)
            pending = []
        if written >= events:
            break
    if pending:
        store.append(pending)
    return written


@dataclass(frozen=True)
class SeededServer:
    """A server made through the node's commands, with the states a post is decided against."""

    owner: UUID
    server_id: UUID
    general: Channel
    owner_membership: Membership


def seed_server(commands: ChatCommands, store: EventStore, name: str = "bench") -> SeededServer:
    owner = uuid.uuid4()
    commands.register_user(owner, f"owner{owner.hex[:8]}", "Owner")
    server_id, _ = commands.create_server(owner, name)
    founded = store.load(ag.SERVER, server_id).state
    if founded is None:
        raise RuntimeError("the server just created cannot be loaded")
    general = store.load(ag.CHANNEL, founded.general_channel_id).state
    owner_membership = store.load(ag.MEMBERSHIP, membership_id(server_id, owner)).state
    if general is None or owner_membership is None:
        raise RuntimeError("the server's #general channel or its owner cannot be loaded")
    return SeededServer(owner, server_id, general, owner_membership)
