"""Fixtures shared by every tier: a real PostgreSQL, fresh databases, nodes and apps.

PostgreSQL is started once per test session from the project's own script
(``infra/services/postgres.sh``) unless ``HEARTH_TEST_DATABASE_URL`` names a
running server; each test that asks for it gets a database of its own.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from bench.harness import KafkaServer, private_kafka
from infra.bootstrap import Node, build_node
from infra.settings import Settings, load_settings
from infra.web import create_app

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", "postgresql"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class PostgresServer:
    url: str
    folder: Path | None
    """The cluster's folder when this session started it (its bytes can then be scanned)."""


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A running PostgreSQL (started here unless HEARTH_TEST_DATABASE_URL names one)."""
    given = os.environ.get("HEARTH_TEST_DATABASE_URL")
    if given:
        yield PostgresServer(given, None)
        return
    folder = tempfile.mkdtemp(prefix="hearth-pg-")
    script = str(ROOT / "infra" / "services" / "postgres.sh")
    url = subprocess.run(
        [script, "start", folder, str(free_port())], check=True, capture_output=True, text=True
    ).stdout.strip()
    try:
        yield PostgresServer(url, Path(folder))
    finally:
        subprocess.run([script, "stop", folder], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_server() -> Iterator[KafkaServer]:
    """Apache Kafka for the scale-out tests, stopped at the end of the session (also when
    tests fail)."""
    with private_kafka() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on the shared server, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = postgres_server.url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(postgres_server.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class RedisServer:
    """A private Redis on a loopback port, started by ``infra/services/redis.sh``."""

    url: str
    folder: Path
    port: int

    def stop(self) -> None:
        subprocess.run([REDIS_SCRIPT, "stop", str(self.folder)], check=True, capture_output=True)

    def start(self) -> None:
        command = [REDIS_SCRIPT, "start", str(self.folder), str(self.port)]
        subprocess.run(command, check=True, capture_output=True)

    def restart(self, *, lose_data: bool) -> None:
        """Stop Redis and start it again on the same port, with or without its data."""
        self.stop()
        if lose_data:
            for name in ("appendonlydir", "appendonly.aof", "dump.rdb"):
                shutil.rmtree(self.folder / name, ignore_errors=True)
                (self.folder / name).unlink(missing_ok=True)
        self.start()


REDIS_SCRIPT = str(ROOT / "infra" / "services" / "redis.sh")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A running Redis for the session, stopped at the end (also when tests fail)."""
    folder = Path(tempfile.mkdtemp(prefix="hearth-redis-"))
    server = RedisServer(f"redis://127.0.0.1:{(port := free_port())}/0", folder, port)
    try:
        server.start()
        yield server
    finally:
        subprocess.run([REDIS_SCRIPT, "stop", str(folder)], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test."""
    subprocess.run(
        ["redis-cli", "-p", str(redis_server.port), "flushall"], check=True, capture_output=True
    )
    return redis_server.url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    env = {"HEARTH_DATA_DIR": str(tmp_path / "data"), "HEARTH_NODE_NAME": "test-node"}
    if backend == "postgresql":
        env["HEARTH_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    return load_settings(env)


@pytest.fixture
def node(settings: Settings) -> Iterator[Node]:
    built = build_node(settings)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node)) as test_client:
        yield test_client


class Person:
    """A registered user driving the API through a client."""

    def __init__(self, client: TestClient, username: str) -> None:
        response = client.post(
            "/api/v1/auth/register", json={"username": username, "password": "a long passphrase 42"}
        )
        assert response.status_code == 201, response.text
        self.client = client
        self.id = uuid.UUID(response.json()["user_id"])
        self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}

    def get(self, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, headers=self.headers, **kwargs)  # type: ignore[arg-type]

    def post(self, path: str, body: object = None):  # type: ignore[no-untyped-def]
        return self.client.post(path, json=body, headers=self.headers)

    def patch(self, path: str, body: object):  # type: ignore[no-untyped-def]
        return self.client.patch(path, json=body, headers=self.headers)

    def delete(self, path: str):  # type: ignore[no-untyped-def]
        return self.client.delete(path, headers=self.headers)

    def invite(self, server_id: str, **limits: object) -> str:
        response = self.post(f"/api/v1/servers/{server_id}/invites", limits)
        assert response.status_code == 201, response.text
        code: str = response.json()["code"]
        return code

    def join(self, code: str):  # type: ignore[no-untyped-def]
        return self.post(f"/api/v1/invites/{code}")


@pytest.fixture
def people(client: TestClient) -> dict[str, Person]:
    return {name: Person(client, name) for name in ("alice", "bob", "carol")}
