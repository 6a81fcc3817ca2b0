"""Chat use cases: load the aggregates a decision needs, decide, append.

Each method is a short transaction script over pure domain functions. A decision
that raced another writer (``Conflict``) is retried from fresh state, since the
domain rules must hold against what is actually in the log.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from api.ports import EventLog
from domain import aggregates as ag
from domain import channel, file, invite, membership, message, server, user
from domain.aggregates import Change
from domain.channel import ChannelKind
from domain.errors import Conflict, NotFound
from domain.events import Recorded
from domain.ids import dm_channel_id, membership_id
from domain.message import MessageBody

T = TypeVar("T")
RETRIES = 8


def retry_on_conflict(action: Callable[[], T]) -> T:
    """Run ``action``; on a concurrent change, wait a random few milliseconds (so racing
    writers spread out) and decide again from fresh state."""
    for attempt in range(RETRIES - 1):
        try:
            return action()
        except Conflict:
            time.sleep(random.uniform(0, 0.002 * 2**attempt))
    return action()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class ChatCommands:
    def __init__(self, log: EventLog) -> None:
        self.log = log

    def membership_of(self, server_id: UUID | None, user_id: UUID) -> membership.Membership | None:
        """The user's current membership of the server, if any."""
        if server_id is None:
            return None
        return membership.active(
            self.log.load(ag.MEMBERSHIP, membership_id(server_id, user_id)).state
        )

    def register_user(self, user_id: UUID, username: str, display_name: str) -> Recorded:
        return self.log.append([Change(user_id, 0, user.register(None, username, display_name))])[
            -1
        ]

    def delete_user(self, user_id: UUID) -> Recorded:
        def attempt() -> Recorded:
            loaded = self.log.load(ag.USER, user_id)
            return self.log.append([Change(user_id, loaded.version, user.delete(loaded.state))])[-1]

        return retry_on_conflict(attempt)

    def create_server(self, actor: UUID, name: str) -> tuple[UUID, Recorded]:
        server_id, general_id = uuid.uuid4(), uuid.uuid4()
        changes = [
            Change(server_id, 0, server.create(None, name, actor, general_id)),
            Change(general_id, 0, channel.general(server_id)),
            Change(
                membership_id(server_id, actor),
                0,
                membership.join(None, server_id, actor, membership.Role.OWNER),
            ),
        ]
        return server_id, self.log.append(changes)[-1]

    def create_invite(
        self, actor: UUID, server_id: UUID, max_uses: int | None, max_age_seconds: int | None
    ) -> tuple[str, Recorded]:
        code = invite.new_code()
        events = invite.create(
            self.membership_of(server_id, actor),
            server_id,
            code,
            now_ms(),
            max_uses,
            max_age_seconds,
        )
        return code, self.log.append([Change(invite.invite_id(code), 0, events)])[-1]

    def join_by_invite(self, actor: UUID, code: str) -> tuple[UUID, Recorded]:
        """Join the invite's server; the use and the membership are appended together."""

        def attempt() -> tuple[UUID, Recorded]:
            invite_id = invite.invite_id(code)
            loaded_invite = self.log.load(ag.INVITE, invite_id)
            usable = invite.require_usable(loaded_invite.state, now_ms())
            spent = invite.use(usable, actor)
            server_id = usable.server_id
            member_id = membership_id(server_id, actor)
            member = self.log.load(ag.MEMBERSHIP, member_id)
            joined = membership.join(member.state, server_id, actor, membership.Role.MEMBER)
            changes = [Change(member_id, member.version, joined)]
            if spent:
                changes.append(Change(invite_id, loaded_invite.version, spent))
            return server_id, self.log.append(changes)[0]

        return retry_on_conflict(attempt)

    def invite(self, code: str) -> invite.Invite:
        """A usable invite by its code (for a preview before joining)."""
        return invite.require_usable(
            self.log.load(ag.INVITE, invite.invite_id(code)).state, now_ms()
        )

    def revoke_invite(self, actor: UUID, server_id: UUID, code: str) -> Recorded:
        def attempt() -> Recorded:
            invite_id = invite.invite_id(code)
            loaded = self.log.load(ag.INVITE, invite_id)
            if loaded.state is not None and loaded.state.server_id != server_id:
                raise NotFound("invite not found")
            events = invite.revoke(loaded.state, self.membership_of(server_id, actor))
            return self.log.append([Change(invite_id, loaded.version, events)])[-1]

        return retry_on_conflict(attempt)

    def leave_server(self, actor: UUID, server_id: UUID, member: UUID) -> Recorded:
        def attempt() -> Recorded:
            member_id = membership_id(server_id, member)
            loaded = self.log.load(ag.MEMBERSHIP, member_id)
            events = membership.leave(loaded.state, self.membership_of(server_id, actor))
            return self.log.append([Change(member_id, loaded.version, events)])[-1]

        return retry_on_conflict(attempt)

    def create_channel(
        self, actor: UUID, server_id: UUID, name: str, kind: ChannelKind, topic: str
    ) -> tuple[UUID, Recorded]:
        channel_id = uuid.uuid4()
        events = channel.create(
            None, self.membership_of(server_id, actor), server_id, name, kind, topic
        )
        return channel_id, self.log.append([Change(channel_id, 0, events)])[-1]

    def update_channel(
        self, actor: UUID, channel_id: UUID, name: str | None, topic: str | None
    ) -> Recorded | None:
        def attempt() -> Recorded | None:
            loaded = self.log.load(ag.CHANNEL, channel_id)
            server_id = loaded.state.server_id if loaded.state else None
            events = channel.update(loaded.state, self.membership_of(server_id, actor), name, topic)
            if not events:
                return None
            return self.log.append([Change(channel_id, loaded.version, events)])[-1]

        return retry_on_conflict(attempt)

    def delete_channel(self, actor: UUID, channel_id: UUID) -> Recorded:
        def attempt() -> Recorded:
            loaded = self.log.load(ag.CHANNEL, channel_id)
            server_id = loaded.state.server_id if loaded.state else None
            events = channel.delete(loaded.state, self.membership_of(server_id, actor))
            return self.log.append([Change(channel_id, loaded.version, events)])[-1]

        return retry_on_conflict(attempt)

    def open_dm(self, actor: UUID, other: UUID) -> tuple[UUID, Recorded | None]:
        user.require_live(self.log.load(ag.USER, other).state)
        channel_id = dm_channel_id(actor, other)
        loaded = self.log.load(ag.CHANNEL, channel_id)
        events = channel.open_dm(loaded.state, actor, other)
        if not events:
            return channel_id, None
        try:
            return channel_id, self.log.append([Change(channel_id, 0, events)])[-1]
        except Conflict:
            return channel_id, None

    def post_message(
        self,
        actor: UUID,
        channel_id: UUID,
        body: MessageBody,
        reply_to: UUID | None = None,
        ttl_seconds: int | None = None,
        attachments: tuple[str, ...] = (),
    ) -> tuple[UUID, Recorded]:
        target = self.log.load(ag.CHANNEL, channel_id).state
        member = self.membership_of(target.server_id if target else None, actor)
        replied = self.log.load(ag.MESSAGE, reply_to).state if reply_to else None
        uploads = [
            self.log.load(file.FILE, file.file_aggregate_id(file_id, actor)).state
            for file_id in attachments[: file.MAX_ATTACHMENTS + 1]
        ]
        file.require_attachable(attachments, uploads)
        message_id = uuid.uuid4()
        events = message.post(
            None, target, actor, member, body, replied, reply_to, now_ms(), ttl_seconds, attachments
        )
        return message_id, self.log.append([Change(message_id, 0, events)])[-1]

    def edit_message(self, actor: UUID, message_id: UUID, body: MessageBody) -> Recorded:
        def attempt() -> Recorded:
            loaded = self.log.load(ag.MESSAGE, message_id)
            self._require_readable(actor, loaded.state)
            events = message.edit(loaded.state, actor, body)
            return self.log.append([Change(message_id, loaded.version, events)])[-1]

        return retry_on_conflict(attempt)

    def delete_message(self, actor: UUID, message_id: UUID) -> Recorded:
        def attempt() -> Recorded:
            loaded = self.log.load(ag.MESSAGE, message_id)
            target = self._require_readable(actor, loaded.state)
            member = self.membership_of(target.server_id, actor)
            events = message.delete(loaded.state, actor, member)
            return self.log.append([Change(message_id, loaded.version, events)])[-1]

        return retry_on_conflict(attempt)

    def expire_message(self, message_id: UUID) -> Recorded | None:
        def attempt() -> Recorded | None:
            loaded = self.log.load(ag.MESSAGE, message_id)
            events = message.expire(loaded.state, now_ms())
            if not events:
                return None
            return self.log.append([Change(message_id, loaded.version, events)])[-1]

        return retry_on_conflict(attempt)

    def readable_channel(self, actor: UUID, channel_id: UUID) -> channel.Channel:
        """The channel if ``actor`` may read it; otherwise NotFound, revealing nothing."""
        target = self.log.load(ag.CHANNEL, channel_id).state
        member = self.membership_of(target.server_id if target else None, actor)
        if target is None or not target.readable_by(actor, member):
            raise NotFound("channel not found")
        return target

    def _require_readable(self, actor: UUID, state: message.Message | None) -> channel.Channel:
        if state is None or state.deleted:
            raise NotFound("message not found")
        return self.readable_channel(actor, state.channel_id)
