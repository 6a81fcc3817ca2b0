"""The chat view's tables, named per generation so a rebuild can fill fresh ones."""

from __future__ import annotations


def table_names(generation: int) -> dict[str, str]:
    prefix = f"chat_g{generation}_"
    return {
        name: prefix + name
        for name in (
            "users",
            "servers",
            "channels",
            "members",
            "messages",
            "versions",
            "identity_keys",
            "attachments",
        )
    }


_BODY_COLUMNS = "content TEXT, ciphertext TEXT, ratchet_header TEXT, x3dh_initial TEXT"
"""A message version's body (``VersionBody``); ``x3dh_initial`` holds the initial message as
JSON. Ciphertext is never indexed: it means nothing to the node."""


def create_statements(generation: int) -> list[str]:
    t = table_names(generation)
    return [
        f"CREATE TABLE IF NOT EXISTS {t['users']} ("
        "id TEXT PRIMARY KEY, username TEXT, display_name TEXT,"
        " deleted INTEGER NOT NULL DEFAULT 0)",
        f"CREATE TABLE IF NOT EXISTS {t['servers']} ("
        "id TEXT PRIMARY KEY, name TEXT NOT NULL, owner_id TEXT NOT NULL,"
        " general_channel_id TEXT NOT NULL, created_hlc TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {t['channels']} ("
        "id TEXT PRIMARY KEY, server_id TEXT, name TEXT NOT NULL, kind TEXT NOT NULL,"
        " topic TEXT NOT NULL, dm_a TEXT, dm_b TEXT, deleted INTEGER NOT NULL DEFAULT 0,"
        " created_hlc TEXT NOT NULL)",
        f"CREATE INDEX IF NOT EXISTS {t['channels']}_server ON {t['channels']} (server_id)",
        f"CREATE INDEX IF NOT EXISTS {t['channels']}_dm_a ON {t['channels']} (dm_a)",
        f"CREATE INDEX IF NOT EXISTS {t['channels']}_dm_b ON {t['channels']} (dm_b)",
        f"CREATE TABLE IF NOT EXISTS {t['members']} ("
        "id TEXT PRIMARY KEY, server_id TEXT NOT NULL, user_id TEXT NOT NULL,"
        " role TEXT NOT NULL, joined_hlc TEXT NOT NULL)",
        f"CREATE UNIQUE INDEX IF NOT EXISTS {t['members']}_server_user"
        f" ON {t['members']} (server_id, user_id)",
        f"CREATE INDEX IF NOT EXISTS {t['members']}_user ON {t['members']} (user_id)",
        f"CREATE TABLE IF NOT EXISTS {t['messages']} ("
        f"id TEXT PRIMARY KEY, channel_id TEXT NOT NULL, author_id TEXT NOT NULL, {_BODY_COLUMNS},"
        " reply_to TEXT, hlc TEXT NOT NULL, edited_hlc TEXT, deleted_hlc TEXT,"
        " expires_at_ms BIGINT)",
        f"CREATE INDEX IF NOT EXISTS {t['messages']}_channel_hlc"
        f" ON {t['messages']} (channel_id, hlc)",
        f"CREATE INDEX IF NOT EXISTS {t['messages']}_expiry ON {t['messages']} (expires_at_ms)"
        " WHERE expires_at_ms IS NOT NULL AND deleted_hlc IS NULL",
        f"CREATE TABLE IF NOT EXISTS {t['versions']} ("
        f"message_id TEXT NOT NULL, version INTEGER NOT NULL, {_BODY_COLUMNS},"
        " hlc TEXT NOT NULL, PRIMARY KEY (message_id, version))",
        f"CREATE TABLE IF NOT EXISTS {t['attachments']} ("
        "message_id TEXT NOT NULL, position INTEGER NOT NULL, file_id TEXT NOT NULL,"
        " PRIMARY KEY (message_id, position))",
        f"CREATE INDEX IF NOT EXISTS {t['attachments']}_file ON {t['attachments']} (file_id)",
        f"CREATE TABLE IF NOT EXISTS {t['identity_keys']} ("
        "user_id TEXT PRIMARY KEY, identity_key TEXT NOT NULL, previous_identity_key TEXT,"
        " published_hlc TEXT NOT NULL)",
    ]


def drop_statements(generation: int) -> list[str]:
    return [f"DROP TABLE IF EXISTS {name}" for name in table_names(generation).values()]
