"""A large upload streams through the node: its memory stays flat whatever the file's size.

The node runs as a real ``hearth serve`` process; the test reads that process's peak
resident set (``VmHWM`` in /proc) after a warm-up upload and again after a 1 GiB upload
generated on the fly, and requires the peak to grow by less than 64 MiB.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx

from tests.conftest import ROOT, free_port

UPLOAD_BYTES = 1024 * 1024 * 1024
BLOCK = os.urandom(1024 * 1024)
PEAK_GROWTH_LIMIT = 64 * 1024 * 1024
BOUNDARY = "hearth-large-upload"


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def multipart(size: int) -> tuple[Iterator[bytes], int]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(size // len(BLOCK)):
            yield BLOCK
        yield tail

    return body(), len(head) + size + len(tail)


def upload(base: str, token: str, size: int) -> httpx.Response:
    body, length = multipart(size)
    return httpx.post(
        f"{base}/api/v1/upload",
        content=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "Content-Length": str(length),
        },
        timeout=600,
    )


def test_a_1_gib_upload_keeps_the_node_memory_flat(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")},
        "HEARTH_DATA_DIR": str(tmp_path),
        "HEARTH_PORT": str(port),
        "HEARTH_UPLOAD_MAX_BYTES": str(UPLOAD_BYTES),
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "infra.cli.main", "serve"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        registered = httpx.post(
            f"{base}/api/v1/auth/register",
            json={"username": "uploader", "password": "a long passphrase 42"},
        )
        token = registered.json()["access_token"]
        assert upload(base, token, 8 * 1024 * 1024).status_code == 201  # warm-up
        before = peak_rss(server.pid)

        answer = upload(base, token, UPLOAD_BYTES)
        growth = peak_rss(server.pid) - before

        assert answer.status_code == 201, answer.text
        expected = hashlib.sha256()
        for _ in range(UPLOAD_BYTES // len(BLOCK)):
            expected.update(BLOCK)
        assert answer.json()["file_id"] == expected.hexdigest()
        assert answer.json()["size"] == UPLOAD_BYTES
        print(f"peak RSS {before / 2**20:.1f} MiB, growth {growth / 2**20:.1f} MiB")
        assert growth < PEAK_GROWTH_LIMIT, f"peak RSS grew by {growth / 2**20:.1f} MiB"
    finally:
        server.terminate()
        server.wait(10)
