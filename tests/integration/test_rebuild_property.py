"""Rebuilding a view from zero gives exactly the view built event by event: the chat view,
and the search index (its bookkeeping, its documents and the text the FTS5 table holds)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain import aggregates as ag
from domain.channel import ChannelKind
from domain.errors import DomainError
from infra.bootstrap import Node, build_node
from infra.projections.rebuild import rebuild
from infra.projections.views import live_generation
from infra.readmodels.chat_tables import table_names
from infra.readmodels.chat_view import CHAT_VIEW
from infra.search.wiring import build_search
from infra.settings import load_settings

USERS = 3
steps = st.lists(
    st.tuples(
        st.sampled_from(["join", "leave", "post", "edit", "delete", "channel", "rename", "dm"]),
        st.integers(0, USERS - 1),
        st.integers(0, 50),
        st.text(min_size=0, max_size=12),
    ),
    min_size=1,
    max_size=40,
)


def snapshot(node: Node) -> dict[str, list[tuple[Any, ...]]]:
    with node.storage.views.read() as cursor:
        tables = table_names(live_generation(cursor, "chat") or 1)
        result = {}
        for short, name in tables.items():
            cursor.execute(f"SELECT * FROM {name}")
            result[short] = sorted(
                tuple(row) if not isinstance(row, dict) else tuple(row.values())
                for row in cursor.fetchall()
            )
        return result


def search_snapshot(node: Node) -> dict[str, list[tuple[Any, ...]]]:
    """The search view's rows without FTS rowids (a rebuild may number them differently)."""
    with node.storage.search.read() as cursor:
        g = live_generation(cursor, "search") or 1
        queries = {
            "channels": f"SELECT * FROM search_g{g}_channels",
            "messages": f"SELECT * FROM search_g{g}_messages",
            "documents": f"SELECT d.id, d.server_id, d.channel_id, d.author_id, d.hlc,"
            f" d.edited_hlc, f.content FROM search_g{g}_documents AS d"
            f" JOIN search_g{g}_fts AS f ON f.rowid = d.rowid",
            "fts_rows": f"SELECT COUNT(*) FROM search_g{g}_fts",
        }
        result = {}
        for name, query in queries.items():
            cursor.execute(query)
            result[name] = sorted(tuple(row) for row in cursor.fetchall())
        return result


def run(node: Node, script: list[tuple[str, int, int, str]]) -> None:
    commands = node.commands
    users = [uuid.uuid4() for _ in range(USERS)]
    for index, user_id in enumerate(users):
        commands.register_user(user_id, f"user{index}", f"User {index}")
    server_id, _ = commands.create_server(users[0], "S")
    server = node.store.load(ag.SERVER, server_id).state
    assert server is not None
    channels, messages = [server.general_channel_id], []
    invite_code, _ = commands.create_invite(users[0], server_id, None, None)
    for action, who, pick, text in script:
        actor = users[who]
        try:
            if action == "join":
                commands.join_by_invite(actor, invite_code)
            elif action == "leave":
                commands.leave_server(actor, server_id, actor)
            elif action == "post":
                messages.append(
                    commands.post_message(actor, channels[pick % len(channels)], text or "x")[0]
                )
            elif action == "edit" and messages:
                commands.edit_message(actor, messages[pick % len(messages)], text or "y")
            elif action == "delete" and messages:
                commands.delete_message(actor, messages[pick % len(messages)])
            elif action == "channel":
                kind = ChannelKind.PUBLIC if pick % 2 else ChannelKind.PRIVATE
                channels.append(commands.create_channel(actor, server_id, text or "c", kind, "")[0])
            elif action == "rename":
                commands.update_channel(actor, channels[pick % len(channels)], text or "r", text)
            elif action == "dm":
                channels.append(commands.open_dm(actor, users[pick % USERS])[0])
        except DomainError:
            continue


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=steps)
def test_rebuild_equals_incremental(
    tmp_path: Path, script: list[tuple[str, int, int, str]]
) -> None:
    node = build_node(load_settings({"HEARTH_DATA_DIR": str(tmp_path / uuid.uuid4().hex)}))
    try:
        run(node, script)
        assert node.chat_runner.wait_until(node.store.last_position(), 10)
        incremental = snapshot(node)
        rebuilt = rebuild(node.store, node.storage.views, CHAT_VIEW)
        assert rebuilt.generation == 2
        assert snapshot(node) == incremental
    finally:
        node.close()


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(script=steps)
def test_search_rebuild_equals_incremental(
    tmp_path: Path, script: list[tuple[str, int, int, str]]
) -> None:
    node = build_node(load_settings({"HEARTH_DATA_DIR": str(tmp_path / uuid.uuid4().hex)}))
    try:
        run(node, script)
        assert node.search_runner.wait_until(node.store.last_position(), 10)
        incremental = search_snapshot(node)
        spec = build_search(node.settings, node.storage.search).spec
        assert rebuild(node.store, node.storage.search, spec).generation == 2
        assert search_snapshot(node) == incremental
    finally:
        node.close()
