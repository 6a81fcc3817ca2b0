"""A node whose chat view was built by an older version of its tables rebuilds it at start."""

from __future__ import annotations

import uuid

from domain import aggregates as ag
from infra.bootstrap import build_node, open_storage
from infra.projections.views import ViewTarget
from infra.readmodels.chat_view import CHAT_VIEW
from infra.settings import Settings


def test_stale_view_is_rebuilt_at_start(settings: Settings) -> None:
    node = build_node(settings)
    author = uuid.uuid4()
    node.commands.register_user(author, "alice", "Alice")
    server_id, recorded = node.commands.create_server(author, "S")
    assert node.chat_runner.wait_until(recorded.position)
    node.close()

    views = open_storage(settings).views
    with views.write() as cursor:  # as if an older node had built generation 1
        cursor.execute("UPDATE projection_versions SET version = ?", (CHAT_VIEW.version - 1,))
    assert ViewTarget.open_live(views, CHAT_VIEW).stale
    views.close()

    restarted = build_node(settings)
    try:
        live = ViewTarget.open_live(restarted.storage.views, CHAT_VIEW)
        assert live.generation == 2 and not live.stale
        server = restarted.store.load(ag.SERVER, server_id).state
        assert server is not None and restarted.reader.server(server_id) is not None
    finally:
        restarted.close()
