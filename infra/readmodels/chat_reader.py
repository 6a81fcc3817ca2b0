"""SQL queries on the chat view, always against its live generation.

Each query resolves the live generation and reads in the same transaction, so a
rebuild swapping generations never shows a reader half of each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from domain.message import InitialMessage
from infra.projections.views import live_generation
from infra.readmodels.chat_tables import table_names
from infra.sql import Cursor, Database
from projections import chat
from projections.chat_models import (
    ChannelView,
    FileReference,
    IdentityKeyView,
    MemberView,
    MessageVersionView,
    MessageView,
    ServerView,
    UserView,
)

_BODY_COLUMNS = "content, ciphertext, ratchet_header, x3dh_initial"
_MESSAGE_COLUMNS = (
    f"id, channel_id, author_id, {_BODY_COLUMNS}, reply_to, hlc, edited_hlc, deleted_hlc,"
    " expires_at_ms"
)


def _body(row: Any) -> dict[str, Any]:
    """The ``VersionBody`` fields of a row holding ``_BODY_COLUMNS``."""
    initial = row["x3dh_initial"]
    return {
        "content": row["content"],
        "ciphertext": row["ciphertext"],
        "header": row["ratchet_header"],
        "initial": None if initial is None else InitialMessage.model_validate_json(initial),
    }


def _message(row: Any, attachments: dict[str, list[str]]) -> MessageView:
    return MessageView(
        attachments=attachments.get(row["id"], []),
        id=row["id"],
        channel_id=row["channel_id"],
        author_id=row["author_id"],
        **_body(row),
        reply_to=row["reply_to"],
        hlc=row["hlc"],
        edited_hlc=row["edited_hlc"],
        deleted=row["deleted_hlc"] is not None,
        expires_at_ms=row["expires_at_ms"],
    )


def _channel(row: Any) -> ChannelView:
    dm = [row["dm_a"], row["dm_b"]] if row["dm_a"] else None
    return ChannelView(
        id=row["id"],
        server_id=row["server_id"],
        name=row["name"],
        kind=row["kind"],
        topic=row["topic"],
        dm_members=dm,
    )


def _server(row: Any) -> ServerView:
    return ServerView(
        id=row["id"],
        name=row["name"],
        owner_id=row["owner_id"],
        general_channel_id=row["general_channel_id"],
    )


def _attachments(cursor: Cursor, t: dict[str, str], message_ids: list[str]) -> dict[str, list[str]]:
    """The file ids each message attaches, in the order the author gave them."""
    if not message_ids:
        return {}
    marks = ", ".join("?" * len(message_ids))
    cursor.execute(
        f"SELECT message_id, file_id FROM {t['attachments']} WHERE message_id IN ({marks})"
        " ORDER BY message_id, position",
        tuple(message_ids),
    )
    found: dict[str, list[str]] = {}
    for row in cursor.fetchall():
        found.setdefault(row["message_id"], []).append(row["file_id"])
    return found


class SqlChatViewReader:
    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def _tables(self) -> Iterator[tuple[Cursor, dict[str, str]]]:
        with self.db.read() as cursor:
            generation = live_generation(cursor, chat.NAME) or 1
            yield cursor, table_names(generation)

    def _all(self, query: Callable[[dict[str, str]], str], params: tuple[Any, ...]) -> list[Any]:
        with self._tables() as (cursor, t):
            cursor.execute(query(t), params)
            return cursor.fetchall()

    def servers_of(self, user_id: UUID) -> list[ServerView]:
        rows = self._all(
            lambda t: (
                f"SELECT s.* FROM {t['servers']} s JOIN {t['members']} m"
                " ON m.server_id = s.id WHERE m.user_id = ? ORDER BY s.created_hlc"
            ),
            (str(user_id),),
        )
        return [_server(row) for row in rows]

    def server(self, server_id: UUID) -> ServerView | None:
        rows = self._all(lambda t: f"SELECT * FROM {t['servers']} WHERE id = ?", (str(server_id),))
        return _server(rows[0]) if rows else None

    def channels_of(self, server_id: UUID, include_private: bool) -> list[ChannelView]:
        kinds = "('public', 'private')" if include_private else "('public')"
        rows = self._all(
            lambda t: (
                f"SELECT * FROM {t['channels']} WHERE server_id = ? AND deleted = 0"
                f" AND kind IN {kinds} ORDER BY created_hlc"
            ),
            (str(server_id),),
        )
        return [_channel(row) for row in rows]

    def members_of(self, server_id: UUID, after: UUID | None, limit: int) -> list[MemberView]:
        rows = self._all(
            lambda t: (
                f"SELECT m.user_id, m.role, m.joined_hlc, u.username, u.display_name"
                f" FROM {t['members']} m LEFT JOIN {t['users']} u ON u.id = m.user_id"
                " WHERE m.server_id = ? AND m.user_id > ? ORDER BY m.user_id LIMIT ?"
            ),
            (str(server_id), str(after) if after else "", limit),
        )
        return [
            MemberView(
                user_id=row["user_id"],
                username=row["username"],
                display_name=row["display_name"],
                role=row["role"],
                joined_hlc=row["joined_hlc"],
            )
            for row in rows
        ]

    def messages(
        self, channel_id: UUID, before: UUID | None, after: UUID | None, limit: int
    ) -> list[MessageView]:
        """A page in HLC order: the newest ``limit`` before ``before``, or the oldest
        after ``after``."""
        with self._tables() as (cursor, t):
            bounds, params = [], [str(channel_id)]
            for cursor_id, op in ((before, "<"), (after, ">")):
                if cursor_id is not None:
                    bounds.append(f" AND hlc {op} (SELECT hlc FROM {t['messages']} WHERE id = ?)")
                    params.append(str(cursor_id))
            newest_first = after is None
            order = "DESC" if newest_first else "ASC"
            cursor.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM {t['messages']} WHERE channel_id = ?"
                + "".join(bounds)
                + f" ORDER BY hlc {order}, id {order} LIMIT ?",
                (*params, limit),
            )
            rows = cursor.fetchall()
            attachments = _attachments(cursor, t, [row["id"] for row in rows])
            page = [_message(row, attachments) for row in rows]
        return list(reversed(page)) if newest_first else page

    def message(self, message_id: UUID) -> MessageView | None:
        with self._tables() as (cursor, t):
            cursor.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM {t['messages']} WHERE id = ?", (str(message_id),)
            )
            row = cursor.fetchone()
            return None if row is None else _message(row, _attachments(cursor, t, [row["id"]]))

    def file_references(self, file_id: str, limit: int) -> list[FileReference]:
        """Live messages attaching ``file_id``, oldest first."""
        rows = self._all(
            lambda t: (
                f"SELECT m.id, m.channel_id, m.author_id FROM {t['attachments']} a"
                f" JOIN {t['messages']} m ON m.id = a.message_id"
                " WHERE a.file_id = ? AND m.deleted_hlc IS NULL ORDER BY m.hlc LIMIT ?"
            ),
            (file_id, limit),
        )
        return [
            FileReference(message_id=r["id"], channel_id=r["channel_id"], author_id=r["author_id"])
            for r in rows
        ]

    def history(self, message_id: UUID) -> list[MessageVersionView]:
        rows = self._all(
            lambda t: (
                f"SELECT version, {_BODY_COLUMNS}, hlc FROM {t['versions']}"
                " WHERE message_id = ? ORDER BY version"
            ),
            (str(message_id),),
        )
        return [MessageVersionView(version=r["version"], **_body(r), hlc=r["hlc"]) for r in rows]

    def expired_messages(self, now_ms: int, limit: int) -> list[UUID]:
        rows = self._all(
            lambda t: (
                f"SELECT id FROM {t['messages']} WHERE expires_at_ms IS NOT NULL"
                " AND deleted_hlc IS NULL AND expires_at_ms <= ? ORDER BY expires_at_ms LIMIT ?"
            ),
            (now_ms, limit),
        )
        return [UUID(row["id"]) for row in rows]

    def memberships_of(self, user_id: UUID) -> list[tuple[UUID, str]]:
        """(server, role) for every server the user belongs to."""
        rows = self._all(
            lambda t: f"SELECT server_id, role FROM {t['members']} WHERE user_id = ?",
            (str(user_id),),
        )
        return [(UUID(row["server_id"]), str(row["role"])) for row in rows]

    def dm_partners_of(self, user_id: UUID) -> list[UUID]:
        rows = self._all(
            lambda t: (
                f"SELECT dm_a, dm_b FROM {t['channels']} WHERE kind = 'dm' AND deleted = 0"
                " AND (dm_a = ? OR dm_b = ?)"
            ),
            (str(user_id), str(user_id)),
        )
        mine = str(user_id)
        return [UUID(row["dm_b"] if row["dm_a"] == mine else row["dm_a"]) for row in rows]

    def dm_channels_of(self, user_id: UUID) -> list[UUID]:
        rows = self._all(
            lambda t: (
                f"SELECT id FROM {t['channels']} WHERE kind = 'dm' AND deleted = 0"
                " AND (dm_a = ? OR dm_b = ?)"
            ),
            (str(user_id), str(user_id)),
        )
        return [UUID(row["id"]) for row in rows]

    def dms_of(self, user_id: UUID) -> list[ChannelView]:
        """The user's DMs, oldest first."""
        rows = self._all(
            lambda t: (
                f"SELECT * FROM {t['channels']} WHERE kind = 'dm' AND deleted = 0"
                " AND (dm_a = ? OR dm_b = ?) ORDER BY created_hlc"
            ),
            (str(user_id), str(user_id)),
        )
        return [_channel(row) for row in rows]

    def user(self, user_id: UUID) -> UserView | None:
        rows = self._all(lambda t: f"SELECT * FROM {t['users']} WHERE id = ?", (str(user_id),))
        if not rows:
            return None
        row = rows[0]
        return UserView(id=row["id"], username=row["username"], display_name=row["display_name"])

    def identity_key(self, user_id: UUID) -> IdentityKeyView | None:
        rows = self._all(
            lambda t: f"SELECT * FROM {t['identity_keys']} WHERE user_id = ?", (str(user_id),)
        )
        if not rows:
            return None
        row = rows[0]
        return IdentityKeyView(
            user_id=row["user_id"],
            identity_key=row["identity_key"],
            previous_identity_key=row["previous_identity_key"],
            published_hlc=row["published_hlc"],
        )
