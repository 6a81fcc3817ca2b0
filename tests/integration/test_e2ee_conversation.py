"""Two real clients (the built @hearth/crypto package under Node.js) talk through a live node.

The node runs under uvicorn on a loopback port; ``e2ee_conversation.mjs`` registers Alice and
Bob, publishes their keys, runs X3DH from a fetched bundle and exchanges Double Ratchet
messages both ways over the REST API, partly out of order. Then every byte the node stored is
searched for the plaintexts' random marker: a node operator must learn nothing of a DM's
content (docs/protocol/e2ee.md, "Threat model").

The package is built here if needed (``npm ci`` when ``node_modules`` is missing or older
than ``package-lock.json``, then ``npm run build``, which is incremental), because the
Python suite runs before the clients' own build step.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain import aggregates as ag
from infra.settings import Settings
from tests.conftest import ROOT
from tests.integration.live import LiveNode, live_node
from tests.integration.test_deletion_scan import holders, stored_files, wait_followed

CRYPTO = ROOT / "clients" / "crypto"
SCRIPT = Path(__file__).with_name("e2ee_conversation.mjs")


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; this test runs the TypeScript package under Node.js")
    return found


@pytest.fixture(scope="session")
def crypto_package() -> Path:
    """clients/crypto, installed from its lock file and built into dist/."""
    npm = tool("npm")
    installed = CRYPTO / "node_modules" / ".package-lock.json"
    lock = CRYPTO / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=CRYPTO, check=True
        )
    subprocess.run([npm, "run", "build", "--silent"], cwd=CRYPTO, check=True)
    return CRYPTO / "dist"


@pytest.fixture
def live(settings: Settings) -> Iterator[LiveNode]:
    with live_node(settings) as served:
        yield served


def converse(crypto_package: Path, url: str, marker: str) -> dict[str, Any]:
    assert (crypto_package / "index.js").is_file()
    done = subprocess.run(
        [tool("node"), str(SCRIPT), url, marker], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def test_two_clients_converse_through_the_node_which_stores_no_plaintext(
    crypto_package: Path, live: LiveNode, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    node = live.node
    marker = f"e2ee-{secrets.token_hex(16)}"
    summary = converse(crypto_package, live.url, marker)
    alice, bob = summary["alice"], summary["bob"]

    assert len(alice["sent"]) == 6 and len(bob["sent"]) == 3
    assert all(marker in text for text in alice["sent"] + bob["sent"])
    opening = alice["sent"][:3]
    assert bob["decrypted"] == [*reversed(opening), *alice["sent"][3:]]
    assert alice["decrypted"] == bob["sent"]
    assert summary["bob_one_time_prekeys"] == {"before": 100, "after": 99}
    # Alice sends the X3DH initial message until she has read Bob's first reply.
    assert summary["carried_initial"] == [True] * 3 + [False] * 6

    stored = node.reader.messages(UUID(summary["dm"]), None, None, 100)
    assert len(stored) == 9
    assert all(m.content is None and m.ciphertext and m.header for m in stored)

    # A plaintext message in a server channel: the scan below must be able to find text.
    control = f"control-{secrets.token_hex(16)}"
    author = UUID(alice["id"])
    server_id, _ = node.commands.create_server(author, "Scan")
    server = node.store.load(ag.SERVER, server_id).state
    assert server is not None
    node.commands.post_message(author, server.general_channel_id, control)
    wait_followed(node)
    files = stored_files(node, request, tmp_path)
    files += [p for p in node.settings.data_dir.rglob("*") if p.is_file() and p not in files]
    assert holders(files, control.encode()), "the scan does not see stored text"
    assert holders(files, marker.encode()) == []
