"""The `hearth` command: a real node process, bad configuration, and the operator views."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.conftest import ROOT, free_port

HEARTH = [sys.executable, "-m", "infra.cli.main"]


def hearth(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("HEARTH_", "MEILI_"))}
    return subprocess.run(
        [*HEARTH, *args], cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"HEARTH_DATA_DIR_TYPO": "x"}, "unknown setting HEARTH_DATA_DIR_TYPO"),
        ({"HEARTH_PORT": "eighty"}, "invalid HEARTH_PORT"),
        ({"HEARTH_DATA_DIR": "/proc/hearth"}, "HEARTH_DATA_DIR /proc/hearth cannot be created"),
        ({"HEARTH_DATABASE_URL": "mysql://x"}, "invalid HEARTH_DATABASE_URL"),
        (
            {"HEARTH_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none"},
            "cannot open the database",
        ),
        ({"HEARTH_SEARCH_BACKEND": "meilisearch"}, "needs MEILI_URL"),
        (
            {"HEARTH_SEARCH_BACKEND": "meilisearch", "MEILI_URL": "http://127.0.0.1:9"},
            "Meilisearch: ",
        ),
    ],
)
def test_bad_configuration_stops_with_one_line(env: dict[str, str], says: str) -> None:
    result = hearth(["serve"], env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and says in result.stderr, result.stderr


def test_serve_status_tail_and_rebuild(tmp_path: Path) -> None:
    port = free_port()
    env = {"HEARTH_DATA_DIR": str(tmp_path), "HEARTH_PORT": str(port)}
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    server = subprocess.Popen(
        [*HEARTH, "serve"], cwd=ROOT, env={**clean, **env}, stderr=subprocess.DEVNULL
    )
    try:
        base = f"http://127.0.0.1:{port}"
        started = time.monotonic()
        while time.monotonic() - started < 20:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        registered = httpx.post(
            f"{base}/api/v1/auth/register",
            json={"username": "olive", "password": "a long passphrase 42"},
        ).json()
        headers = {"Authorization": f"Bearer {registered['access_token']}"}
        assert httpx.post(f"{base}/api/v1/servers", json={"name": "S"}, headers=headers).is_success

        status = hearth(["projections", "status"], env)
        assert "chat: generation 1" in status.stdout and "lag 0" in status.stdout
        tail = hearth(["events", "tail", "--type", "ServerCreated"], env)
        [line] = tail.stdout.splitlines()
        assert json.loads(line)["data"]["name"] == "S"
        rebuilt = hearth(["projections", "rebuild", "chat"], env)
        assert "rebuilt as generation 2" in rebuilt.stdout, rebuilt.stderr
        servers = httpx.get(f"{base}/api/v1/servers", headers=headers).json()
        assert [s["name"] for s in servers] == ["S"]
        assert "chat: generation 2" in hearth(["projections", "status"], env).stdout
        rebuilt = hearth(["projections", "rebuild", "search"], env)
        assert "search: rebuilt as generation 2" in rebuilt.stdout, rebuilt.stderr
        assert "search: generation 2" in hearth(["projections", "status"], env).stdout
    finally:
        server.terminate()
        server.wait(10)
