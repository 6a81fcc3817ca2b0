"""A node served by uvicorn on a loopback port, in a thread of the test process."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx2 as httpx
import uvicorn

from infra.bootstrap import build_node
from infra.settings import Settings
from infra.web import create_app
from tests.conftest import free_port


class LiveNode:
    def __init__(self, settings: Settings) -> None:
        self.node = build_node(settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws_url = f"ws://127.0.0.1:{self.port}/api/v1/gateway"
        config = uvicorn.Config(
            create_app(self.node), host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveNode:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the node did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

    def register(self, username: str) -> tuple[str, dict[str, str]]:
        body = httpx.post(
            f"{self.url}/api/v1/auth/register",
            json={"username": username, "password": "a long passphrase 42"},
        ).json()
        return body["user_id"], {"Authorization": f"Bearer {body['access_token']}"}


@contextmanager
def live_node(settings: Settings) -> Iterator[LiveNode]:
    node = LiveNode(settings).start()
    try:
        yield node
    finally:
        node.stop()
