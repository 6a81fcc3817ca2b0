"""A projection killed with SIGKILL mid-batch resumes with every event applied exactly once:
the chat view, and the search index that commits with its position."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable

import pytest

from domain import aggregates as ag
from domain import message
from domain.aggregates import Change
from infra.bootstrap import Node, build_node
from infra.projections.views import get_position, live_generation
from infra.readmodels.chat_tables import table_names
from infra.settings import Settings
from infra.sql import Database
from tests.conftest import ROOT

MESSAGES = 6000


def fill_log(node: Node) -> str:
    """A server whose #general holds MESSAGES messages; returns the channel id."""
    owner = uuid.uuid4()
    node.commands.register_user(owner, "owner", "Owner")
    server_id, _ = node.commands.create_server(owner, "S")
    server = node.store.load(ag.SERVER, server_id).state
    assert server is not None
    channel = server.general_channel_id
    for start in range(0, MESSAGES, 500):
        node.store.append(
            [
                Change(
                    uuid.uuid4(),
                    0,
                    [
                        message.MessagePosted(
                            channel_id=channel, author_id=owner, content=f"m{start + i}"
                        )
                    ],
                )
                for i in range(500)
            ]
        )
    return str(channel)


def position(db: Database, name: str) -> int:
    with db.read() as cursor:
        generation = live_generation(cursor, name)
        return get_position(cursor, name, generation) if generation else 0


def chat_counts(node: Node, channel: str) -> tuple[int, int]:
    with node.storage.views.read() as cursor:
        t = table_names(live_generation(cursor, "chat") or 1)
        cursor.execute(
            f"SELECT COUNT(*) AS n FROM {t['messages']} WHERE channel_id = ?", (channel,)
        )
        messages = int(cursor.fetchone()["n"])
        cursor.execute(f"SELECT COUNT(*) AS n FROM {t['versions']}")
        versions = int(cursor.fetchone()["n"])
    return messages, versions


def search_counts(node: Node, channel: str) -> tuple[int, int]:
    """Indexed messages of the channel in the bookkeeping, and documents in the index (on
    SQLite, rows of the FTS table; on PostgreSQL, rows with their ``tsvector``)."""
    with node.storage.search.read() as cursor:
        cursor.execute(
            "SELECT COUNT(*) AS n FROM search_g1_messages WHERE channel_id = ?", (channel,)
        )
        messages = int(cursor.fetchone()["n"])
        index = "search_g1_documents" if node.settings.database_url else "search_g1_fts"
        cursor.execute(f"SELECT COUNT(*) AS n FROM {index}")
        documents = int(cursor.fetchone()["n"])
    return messages, documents


VIEWS: dict[str, tuple[Callable[[Node], Database], Callable[[Node, str], tuple[int, int]]]] = {
    "chat": (lambda node: node.storage.views, chat_counts),
    "search": (lambda node: node.storage.search, search_counts),
}


@pytest.mark.parametrize("view", VIEWS)
def test_sigkill_mid_batch_loses_and_repeats_nothing(settings: Settings, view: str) -> None:
    database, counts = VIEWS[view]
    node = build_node(settings, start=False)
    channel = fill_log(node)
    head = node.store.last_position()
    args = [
        sys.executable,
        "-m",
        "tests.integration.projection_worker",
        view,
        str(settings.data_dir),
    ]
    if settings.database_url:
        args.append(settings.database_url)
    worker = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while not 0 < position(database(node), view) < head // 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.13)  # land inside a batch's transaction
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        worker.kill()
    killed_at = position(database(node), view)
    assert 0 < killed_at < head, f"the worker was not killed mid-way ({killed_at}/{head})"
    node.close()

    restarted = build_node(settings)
    try:
        for runner in (restarted.chat_runner, restarted.search_runner):
            assert runner.wait_until(head, 60), runner.failure
        assert counts(restarted, channel) == (MESSAGES, MESSAGES)
    finally:
        restarted.close()
