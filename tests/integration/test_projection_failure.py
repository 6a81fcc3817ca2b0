"""A projection that cannot apply an event stops there, says so, and never skips it."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

from domain import aggregates as ag
from domain.events import Envelope
from domain.message import MessagePosted
from infra.bootstrap import build_node
from infra.cli.inspect import projection_status
from infra.projections.runner import ProjectionRunner
from infra.projections.views import ViewTarget
from infra.readmodels.chat_view import CHAT_VIEW
from infra.settings import Settings
from projections import chat


def refuse_poison(envelope: Envelope, writer: Any) -> None:
    if isinstance(envelope.event, MessagePosted) and envelope.event.content == "poison":
        raise ValueError("cannot apply this message")
    chat.apply(envelope, writer)


def chat_status(settings: Settings) -> str:
    [line] = [line for line in projection_status(settings) if line.startswith("chat:")]
    return line


def test_failing_projection_stops_before_the_event_and_reports_it(settings: Settings) -> None:
    node = build_node(settings, start=False)
    try:
        author = uuid.uuid4()
        node.commands.register_user(author, "alice", "Alice")
        server_id, _ = node.commands.create_server(author, "S")
        server = node.store.load(ag.SERVER, server_id).state
        assert server is not None
        ids = [
            node.commands.post_message(author, server.general_channel_id, text)[0]
            for text in ("ok", "poison", "after")
        ]
        head = node.store.last_position()

        fragile = replace(CHAT_VIEW, apply=refuse_poison)
        runner = ProjectionRunner(node.store, ViewTarget.open_live(node.storage.views, fragile))
        runner.start()
        assert not runner.wait_until(head, timeout=10)
        runner.stop()
        assert runner.failure is not None and "cannot apply this message" in runner.failure
        poison = next(
            r.position for r in node.store.read(0, 100) if r.envelope.aggregate_id == ids[1]
        )
        assert runner.position == poison - 1
        assert node.reader.message(ids[0]) is not None and node.reader.message(ids[1]) is None
        assert "FAILED after" in chat_status(settings)

        healthy = ProjectionRunner(node.store, ViewTarget.open_live(node.storage.views, CHAT_VIEW))
        healthy.start()
        assert healthy.wait_until(head, timeout=10)
        healthy.stop()
        assert [node.reader.message(i) is not None for i in ids] == [True, True, True]
        assert chat_status(settings).endswith(", ok")
    finally:
        node.close()
