"""SQL implementation of the chat view writer, used inside a projection transaction.

Deleting a message clears its text (or its ciphertext) from the message row and from
every version in its edit history; on SQLite ``secure_delete`` zeroes the old bytes in
place.
"""

from __future__ import annotations

from uuid import UUID

from domain.hlc import HLC
from infra.readmodels.chat_tables import table_names
from infra.sql import Cursor
from projections.chat_models import VersionBody


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def _body_values(body: VersionBody) -> tuple[str | None, str | None, str | None, str | None]:
    """The body columns: content, ciphertext, ratchet_header, x3dh_initial (as JSON)."""
    initial = None if body.initial is None else body.initial.model_dump_json()
    return body.content, body.ciphertext, body.header, initial


class SqlChatViewWriter:
    def __init__(self, cursor: Cursor, generation: int) -> None:
        self.cursor = cursor
        self.t = table_names(generation)

    def upsert_user(self, user_id: UUID, username: str | None, display_name: str | None) -> None:
        self.cursor.execute(
            f"INSERT INTO {self.t['users']} (id, username, display_name) VALUES (?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET"
            f" username = COALESCE(excluded.username, {self.t['users']}.username),"
            " display_name = excluded.display_name",
            (str(user_id), username, display_name),
        )

    def forget_user(self, user_id: UUID) -> None:
        self.cursor.execute(
            f"UPDATE {self.t['users']} SET username = NULL, display_name = NULL, deleted = 1"
            " WHERE id = ?",
            (str(user_id),),
        )
        self.cursor.execute(
            f"DELETE FROM {self.t['identity_keys']} WHERE user_id = ?", (str(user_id),)
        )

    def add_server(
        self, server_id: UUID, name: str, owner_id: UUID, general_channel_id: UUID, hlc: HLC
    ) -> None:
        self.cursor.execute(
            f"INSERT INTO {self.t['servers']} (id, name, owner_id, general_channel_id, created_hlc)"
            " VALUES (?, ?, ?, ?, ?)",
            (str(server_id), name, str(owner_id), str(general_channel_id), str(hlc)),
        )

    def rename_server(self, server_id: UUID, name: str) -> None:
        self.cursor.execute(
            f"UPDATE {self.t['servers']} SET name = ? WHERE id = ?", (name, str(server_id))
        )

    def add_channel(
        self,
        channel_id: UUID,
        server_id: UUID | None,
        name: str,
        kind: str,
        topic: str,
        dm_members: tuple[UUID, UUID] | None,
        hlc: HLC,
    ) -> None:
        dm_a, dm_b = dm_members if dm_members else (None, None)
        self.cursor.execute(
            f"INSERT INTO {self.t['channels']}"
            " (id, server_id, name, kind, topic, dm_a, dm_b, created_hlc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(channel_id),
                _text(server_id),
                name,
                kind,
                topic,
                _text(dm_a),
                _text(dm_b),
                str(hlc),
            ),
        )

    def update_channel(self, channel_id: UUID, name: str, topic: str) -> None:
        self.cursor.execute(
            f"UPDATE {self.t['channels']} SET name = ?, topic = ? WHERE id = ?",
            (name, topic, str(channel_id)),
        )

    def delete_channel(self, channel_id: UUID) -> None:
        self.cursor.execute(
            f"UPDATE {self.t['channels']} SET deleted = 1 WHERE id = ?", (str(channel_id),)
        )

    def add_member(
        self, membership_id: UUID, server_id: UUID, user_id: UUID, role: str, hlc: HLC
    ) -> None:
        self.cursor.execute(
            f"INSERT INTO {self.t['members']} (id, server_id, user_id, role, joined_hlc)"
            " VALUES (?, ?, ?, ?, ?)",
            (str(membership_id), str(server_id), str(user_id), role, str(hlc)),
        )

    def set_member_role(self, membership_id: UUID, role: str) -> None:
        self.cursor.execute(
            f"UPDATE {self.t['members']} SET role = ? WHERE id = ?", (role, str(membership_id))
        )

    def remove_member(self, membership_id: UUID) -> None:
        self.cursor.execute(f"DELETE FROM {self.t['members']} WHERE id = ?", (str(membership_id),))

    def add_message(
        self,
        message_id: UUID,
        channel_id: UUID,
        author_id: UUID,
        body: VersionBody,
        reply_to: UUID | None,
        expires_at_ms: int | None,
        hlc: HLC,
        attachments: tuple[str, ...] = (),
    ) -> None:
        self.cursor.execute(
            f"INSERT INTO {self.t['messages']}"
            " (id, channel_id, author_id, content, ciphertext, ratchet_header, x3dh_initial,"
            " reply_to, hlc, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(message_id),
                str(channel_id),
                str(author_id),
                *_body_values(body),
                _text(reply_to),
                str(hlc),
                expires_at_ms,
            ),
        )
        self._add_version(message_id, 1, body, hlc)
        for position, file_id in enumerate(attachments):
            self.cursor.execute(
                f"INSERT INTO {self.t['attachments']} (message_id, position, file_id)"
                " VALUES (?, ?, ?)",
                (str(message_id), position, file_id),
            )

    def edit_message(self, message_id: UUID, version: int, body: VersionBody, hlc: HLC) -> None:
        self.cursor.execute(
            f"UPDATE {self.t['messages']} SET content = ?, ciphertext = ?, ratchet_header = ?,"
            " x3dh_initial = ?, edited_hlc = ? WHERE id = ?",
            (*_body_values(body), str(hlc), str(message_id)),
        )
        self._add_version(message_id, version, body, hlc)

    def _add_version(self, message_id: UUID, version: int, body: VersionBody, hlc: HLC) -> None:
        self.cursor.execute(
            f"INSERT INTO {self.t['versions']} (message_id, version, content, ciphertext,"
            " ratchet_header, x3dh_initial, hlc) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (str(message_id), version, *_body_values(body), str(hlc)),
        )

    def delete_message(self, message_id: UUID, hlc: HLC) -> None:
        self.cursor.execute(
            f"UPDATE {self.t['messages']} SET content = NULL, ciphertext = NULL,"
            " ratchet_header = NULL, x3dh_initial = NULL, deleted_hlc = ? WHERE id = ?",
            (str(hlc), str(message_id)),
        )
        for table in ("versions", "attachments"):
            self.cursor.execute(
                f"DELETE FROM {self.t[table]} WHERE message_id = ?", (str(message_id),)
            )

    def set_identity_key(
        self, user_id: UUID, identity_key: str, previous: str | None, hlc: HLC
    ) -> None:
        self.cursor.execute(
            f"INSERT INTO {self.t['identity_keys']}"
            " (user_id, identity_key, previous_identity_key, published_hlc) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET identity_key = excluded.identity_key,"
            " previous_identity_key = excluded.previous_identity_key,"
            " published_hlc = excluded.published_hlc",
            (str(user_id), identity_key, previous, str(hlc)),
        )
