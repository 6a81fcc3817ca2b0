"""Matrix Synapse as a peer of the comparison: installed from PyPI, configured for one machine.

Synapse is what people install today for a self-hosted, federated chat, so it is the
baseline Hearth is measured against. ``install.sh`` beside this file installs a
pinned version into a virtualenv of its own under the cache folder (never into the
project's); ``SynapsePeer.deployment`` writes a configuration for that one test:

- one client listener on 127.0.0.1 and a free port, no federation listener, no
  trusted key servers, presence off: a single node with local users only, as the
  Hearth node of the comparison is;
- every rate limit lifted (``rc_*``): the benchmark sends as fast as it measures,
  from one address, and registers and joins a thousand users;
- logging at WARNING, as the Hearth node logs no line per request;
- a fresh database: SQLite in the deployment's folder, or a new PostgreSQL database
  with the C collation and UTF-8 encoding Synapse requires;
- a low ``bcrypt_rounds``, which only makes registering a thousand users quicker:
  no password is checked while figures are taken.

Users are registered through the shared-secret admin API
(``/_synapse/admin/v1/register``), as an operator's ``register_new_matrix_user`` does.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nacl.signing import SigningKey

from bench.harness import Backend, _free_port, postgres_database
from bench.node_process import NodeProcess, running_server
from bench.peers import Deployment, Peer, PeerClient
from bench.peers.synapse.client import SynapseClient

VERSION = "1.163.2"
INSTALL_SCRIPT = Path(__file__).resolve().parent / "install.sh"
SERVER_NAME = "bench.localhost"
# What CREATE DATABASE needs for Synapse (docs/postgres.md of Synapse).
POSTGRES_OPTIONS = "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0"
UNLIMITED = {"per_second": 1_000_000, "burst_count": 1_000_000}
RATE_LIMITS: dict[str, Any] = {
    "rc_message": UNLIMITED,
    "rc_registration": UNLIMITED,
    "rc_registration_token_validity": UNLIMITED,
    "rc_login": {"address": UNLIMITED, "account": UNLIMITED, "failed_attempts": UNLIMITED},
    "rc_joins": {"local": UNLIMITED, "remote": UNLIMITED},
    "rc_joins_per_room": UNLIMITED,
    "rc_invites": {"per_room": UNLIMITED, "per_user": UNLIMITED, "per_issuer": UNLIMITED},
    "rc_third_party_invite": UNLIMITED,
    "rc_3pid_validation": UNLIMITED,
    "rc_admin_redaction": UNLIMITED,
    "rc_room_creation": UNLIMITED,
    "rc_presence": {"per_user": UNLIMITED},
    "rc_delayed_event_mgmt": UNLIMITED,
    "rc_reports": UNLIMITED,
    "rc_user_directory": UNLIMITED,
    "rc_profile": UNLIMITED,
    "rc_key_requests": UNLIMITED,
    "rc_media_create": UNLIMITED,
}


def install(version: str = VERSION) -> Path:
    """The python of a virtualenv with matrix-synapse ``version``, installing it if needed."""
    done = subprocess.run(
        [str(INSTALL_SCRIPT), version], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"installing Synapse failed: {done.stderr.strip()}")
    return Path(done.stdout.strip().splitlines()[-1])


def signing_key() -> str:
    """A signing key in Synapse's file format: ``ed25519 <key id> <unpadded base64 seed>``."""
    seed = bytes(SigningKey.generate())
    return f"ed25519 a_bench {base64.b64encode(seed).decode().rstrip('=')}\n"


def postgres_arguments(url: str) -> dict[str, Any]:
    """psycopg2's connection arguments for a ``postgresql://user@host:port/name`` URL."""
    parts = urlsplit(url)
    arguments: dict[str, Any] = {
        "user": parts.username,
        "host": parts.hostname,
        "port": parts.port or 5432,
        "dbname": parts.path.lstrip("/"),
        "cp_min": 5,
        "cp_max": 10,
    }
    if parts.password:
        arguments["password"] = parts.password
    return arguments


def configuration(folder: Path, port: int, secret: str, database: dict[str, Any]) -> dict[str, Any]:
    """homeserver.yaml's settings (written as JSON, which YAML reads as it is)."""
    return {
        "server_name": SERVER_NAME,
        "pid_file": str(folder / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": database,
        "log_config": str(folder / "log.config"),
        "media_store_path": str(folder / "media"),
        "signing_key_path": str(folder / "signing.key"),
        "registration_shared_secret": secret,
        "macaroon_secret_key": secrets.token_hex(32),
        "form_secret": secrets.token_hex(32),
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "presence": {"enabled": False},
        "enable_metrics": False,
        "bcrypt_rounds": 4,
        **RATE_LIMITS,
    }


def logging_configuration(folder: Path) -> dict[str, Any]:
    """Warnings and errors to ``homeserver.log``: no line per request."""
    return {
        "version": 1,
        "formatters": {
            "precise": {"format": "%(asctime)s - %(name)s - %(levelname)s - %(message)s"}
        },
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "formatter": "precise",
                "filename": str(folder / "homeserver.log"),
            }
        },
        "root": {"level": "WARNING", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }


class SynapseDeployment(Deployment):
    """A configured Synapse on a fresh database; ``serve`` runs it from the cache virtualenv."""

    def __init__(self, python: Path, folder: Path, database: dict[str, Any]) -> None:
        self.python = python
        self.folder = folder
        self.port = _free_port()
        self.secret = secrets.token_hex(32)
        self.config = folder / "homeserver.yaml"
        settings = configuration(folder, self.port, self.secret, database)
        self.config.write_text(json.dumps(settings, indent=2))
        (folder / "log.config").write_text(json.dumps(logging_configuration(folder), indent=2))
        (folder / "signing.key").write_text(signing_key())
        (folder / "media").mkdir()

    @contextmanager
    def serve(self, core: int | None) -> Iterator[NodeProcess]:
        command = [str(self.python), "-m", "synapse.app.homeserver", "-c", str(self.config)]
        env = {key: value for key, value in os.environ.items() if not key.startswith("HEARTH_")}
        with running_server(
            command, env, self.port, self.folder, core, "/health", self.folder
        ) as node:
            yield node

    def client(self, node: NodeProcess) -> PeerClient:
        return SynapseClient(node, self.secret, SERVER_NAME)


class SynapsePeer(Peer):
    """Synapse ``version`` from PyPI, installed on first use."""

    name = "Synapse"

    def __init__(self, version: str = VERSION) -> None:
        self._version = version
        self._python: Path | None = None

    def version(self) -> str:
        return self._version

    @property
    def python(self) -> Path:
        if self._python is None:
            self._python = install(self._version)
        return self._python

    @contextmanager
    def deployment(self, backend: Backend) -> Iterator[Deployment]:
        python = self.python
        folder = Path(tempfile.mkdtemp(prefix="hearth-bench-synapse-"))
        try:
            if backend.admin_url is None:
                sqlite = {"name": "sqlite3", "args": {"database": str(folder / "homeserver.db")}}
                yield SynapseDeployment(python, folder, sqlite)
            else:
                with postgres_database(backend.admin_url, POSTGRES_OPTIONS) as url:
                    database = {"name": "psycopg2", "args": postgres_arguments(url)}
                    yield SynapseDeployment(python, folder, database)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
