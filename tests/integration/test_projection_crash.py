"""A projection killed with SIGKILL mid-batch resumes with every event applied exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

from domain import aggregates as ag
from domain import message
from domain.aggregates import Change
from infra.bootstrap import Node, build_node
from infra.projections.views import get_position, live_generation
from infra.readmodels.chat_tables import table_names
from infra.settings import Settings
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


def chat_position(node: Node) -> int:
    with node.storage.views.read() as cursor:
        generation = live_generation(cursor, "chat")
        return get_position(cursor, "chat", generation) if generation else 0


def counts(node: Node, channel: str) -> tuple[int, int]:
    with node.storage.views.read() as cursor:
        t = table_names(live_generation(cursor, "chat") or 1)
        cursor.execute(
            f"SELECT COUNT(*) AS n FROM {t['messages']} WHERE channel_id = ?", (channel,)
        )
        messages = int(cursor.fetchone()["n"])
        cursor.execute(f"SELECT COUNT(*) AS n FROM {t['versions']}")
        versions = int(cursor.fetchone()["n"])
    return messages, versions


def test_sigkill_mid_batch_loses_and_repeats_nothing(settings: Settings) -> None:
    node = build_node(settings, start=False)
    channel = fill_log(node)
    head = node.store.last_position()
    args = [sys.executable, "-m", "tests.integration.projection_worker", str(settings.data_dir)]
    if settings.database_url:
        args.append(settings.database_url)
    worker = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while not 0 < chat_position(node) < head // 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.13)  # land inside a batch's transaction
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        worker.kill()
    killed_at = chat_position(node)
    assert 0 < killed_at < head, f"the worker was not killed mid-way ({killed_at}/{head})"
    node.close()

    restarted = build_node(settings)
    try:
        assert restarted.chat_runner.wait_until(head, 60), restarted.chat_runner.failure
        assert counts(restarted, channel) == (MESSAGES, MESSAGES)
    finally:
        restarted.close()
