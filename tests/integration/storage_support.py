"""A private SeaweedFS S3 server for the storage tests, and helpers shared by them.

The server is started once per test session with ``infra/services/seaweedfs.sh`` (which
builds SeaweedFS first when the cache lacks it; ``deploy/test.sh`` starts that build early)
and stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from infra.storage.s3 import S3CompatibleBackend
from tests.conftest import ROOT

SCRIPT = str(ROOT / "infra" / "services" / "seaweedfs.sh")
ACCESS_KEY, SECRET_KEY = "hearth-test-access", "hearth-test-secret"
slow_first_start = pytest.mark.timeout(1800)
"""For tests using the server: the first one may wait for SeaweedFS to compile (about 14
minutes on two cores with empty Go caches), longer than the suite's per-test timeout."""


@dataclass(frozen=True)
class SeaweedServer:
    endpoint: str
    folder: Path
    port: int

    def backend(self) -> S3CompatibleBackend:
        """A backend on a bucket of its own."""
        backend = S3CompatibleBackend(
            self.endpoint, f"test-{uuid.uuid4().hex[:12]}", ACCESS_KEY, SECRET_KEY
        )
        backend.ensure_bucket()
        return backend

    def vacuum(self) -> None:
        """Compact every volume now, so deleted objects' bytes leave the data folder."""
        url = f"http://127.0.0.1:{self.port + 1}/vol/vacuum?garbageThreshold=0.0001"
        with urllib.request.urlopen(url, timeout=120) as answer:
            answer.read()

    def data_files(self) -> list[Path]:
        return [p for p in (self.folder / "data").rglob("*") if p.is_file()]


def _free_port_range(size: int) -> int:
    """A first port such that it and the ``size - 1`` after it are free."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first: int = probe.getsockname()[1]
        if first + size > 65535:
            continue
        try:
            for port in range(first, first + size):
                with socket.socket() as other:
                    other.bind(("127.0.0.1", port))
        except OSError:
            continue
        return first
    raise RuntimeError("no free range of ports")


@pytest.fixture(scope="session")
def seaweedfs() -> Iterator[SeaweedServer]:
    folder = Path(tempfile.mkdtemp(prefix="hearth-seaweedfs-"))
    port = _free_port_range(8)
    env_keys = {"S3_ACCESS_KEY": ACCESS_KEY, "S3_SECRET_KEY": SECRET_KEY}
    started = subprocess.run(
        [SCRIPT, "start", str(folder), str(port)],
        capture_output=True,
        text=True,
        env={**os.environ, **env_keys},
        timeout=3600,
    )
    assert started.returncode == 0, started.stderr
    try:
        yield SeaweedServer(started.stdout.strip(), folder, port)
    finally:
        subprocess.run([SCRIPT, "stop", str(folder)], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)
