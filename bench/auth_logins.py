"""Logins per second at the node's Argon2id parameters, and what a stream of logins does to
WebSocket delivery.

A login is dominated by one Argon2id verification (OWASP's floor: m=19 MiB, t=2,
p=1, unless the settings raise it), so the baseline, measured in the same run, is the
bare verification rate of argon2-cffi: with one thread, and with one thread per core
(argon2-cffi releases the GIL, so verifications in threads run in parallel). Then full
``POST /api/v1/auth/login`` requests go through a live node under uvicorn on a
loopback port: one client at a time, and several at once. Each login also starts a
session (one durable write). The node hashes at most one fewer than the machine's
cores at a time (``infra.auth.passwords``), so on a 2-core machine concurrent logins
are compared with the 1-thread verification rate: that rate is how many logins a
small node absorbs.

Delivery: a member posts a message every ``POST_INTERVAL`` seconds and a WebSocket
reader of the channel times each ``MessagePosted`` frame from the moment the post was
sent. Its p99 is measured on a quiet node, and again while clients try
``--login-rate`` logins per second (50 by default; a node that cannot keep up is
saturated, which is the worst case). Every phase takes turns with the others in
``ROUNDS`` rounds, so all see the same load on a shared machine.

    python -m bench.auth_logins [--backend sqlite|postgresql|both] [--quick]

Goal (issue 3): delivery p99 under logins at most 1.2x the quiet p99. The rate limits
are lifted for the run (the bench logs in many times from one address).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from argon2 import PasswordHasher as Argon2Hasher
from argon2 import extract_parameters
from websockets.sync.client import connect

from bench import harness
from bench.harness import Backend, Report, Stopwatch, Tally
from infra.bootstrap import build_node
from infra.settings import Settings
from infra.web import create_app

USERNAME, PASSWORD = "bench-user", "a long bench passphrase 42"
CREDENTIALS = {"username": USERNAME, "password": PASSWORD}
POSTER = {"username": "bench-poster", "password": PASSWORD}
# Bare verifications, logins and delivery probes take turns, so that all of them see
# the same load on the machine.
ROUNDS = 5
POST_INTERVAL = 0.1
LOAD_THREADS = 8


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--logins", type=int, help="logins per measurement (default 200)")
    parser.add_argument(
        "--clients", type=int, default=4, help="concurrent clients in the parallel run"
    )
    parser.add_argument(
        "--login-rate", type=float, default=50.0, help="logins/s tried during delivery"
    )


def verify_seconds(hasher: Argon2Hasher, password_hash: str, count: int, threads: int) -> float:
    """Seconds for ``count`` bare verifications spread over ``threads`` threads."""

    def work(_: int) -> None:
        for _ in range(count // threads):
            hasher.verify(password_hash, PASSWORD)

    with Stopwatch() as watch, ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    return watch.seconds


@contextmanager
def live_node(settings: Settings) -> Iterator[int]:
    """A node under uvicorn on a loopback port (its port), shut down afterwards."""
    port = harness._free_port()
    relaxed = settings.model_copy(
        update={"rate_limit_client_requests": 10**9, "rate_limit_failures": 10**9}
    )
    app = create_app(build_node(relaxed))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="bench-node", daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def call(port: int, path: str, body: object, token: str | None = None) -> tuple[int, Any]:
    """One POST on a fresh connection: (status, JSON body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request("POST", path, body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        text = response.read()
        return response.status, json.loads(text) if text else None
    finally:
        connection.close()


def login_latencies(port: int, count: int, interval: float = 0.0) -> list[float]:
    """Seconds per login, one after another on one keep-alive connection, at most one
    every ``interval`` seconds."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            connection.request(
                "POST",
                "/api/v1/auth/login",
                body=json.dumps(CREDENTIALS),
                headers={"Content-Type": "application/json"},
            )
            response = connection.getresponse()
            response.read()
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                raise RuntimeError(f"login answered {response.status}")
            time.sleep(max(0.0, interval - latencies[-1]))
    finally:
        connection.close()
    return latencies


@dataclass(frozen=True)
class Channel:
    port: int
    token: str
    channel_id: str


def open_channel(port: int) -> Channel:
    _, poster = call(port, "/api/v1/auth/register", POSTER)
    _, server = call(port, "/api/v1/servers", {"name": "bench"}, poster["access_token"])
    return Channel(port, poster["access_token"], server["general_channel_id"])


def delivery_latencies(channel: Channel, posts: int) -> list[float]:
    """Seconds from sending each post to its frame reaching a WebSocket reader."""
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}
    url = f"ws://127.0.0.1:{channel.port}/api/v1/gateway"
    with connect(url, additional_headers={"Authorization": f"Bearer {channel.token}"}) as ws:
        while json.loads(ws.recv(timeout=10))["op"] != "ready":
            pass

        def read() -> None:
            while len(arrived) < posts:
                frame = json.loads(ws.recv(timeout=30))
                if frame["op"] == "dispatch" and frame["d"]["type"] == "MessagePosted":
                    arrived[frame["d"]["data"]["content"]] = time.perf_counter()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        path = f"/api/v1/channels/{channel.channel_id}/messages"
        for _ in range(posts):
            content = f"probe {uuid.uuid4().hex}"
            sent[content] = time.perf_counter()
            call(channel.port, path, {"content": content}, channel.token)
            time.sleep(max(0.0, POST_INTERVAL - (time.perf_counter() - sent[content])))
        reader.join(timeout=30)
    return [arrived[content] - at for content, at in sent.items() if content in arrived]


def delivery_under_logins(
    channel: Channel, posts: int, login_rate: float
) -> tuple[list[float], Tally]:
    """Delivery latencies while ``LOAD_THREADS`` clients try ``login_rate`` logins/s."""
    stop = threading.Event()
    done = Tally()
    lock = threading.Lock()
    interval = LOAD_THREADS / login_rate

    def log_in() -> None:
        while not stop.is_set():
            login_latencies(channel.port, 1, interval)
            with lock:
                done.add(1, 0.0)

    threads = [threading.Thread(target=log_in, daemon=True) for _ in range(LOAD_THREADS)]
    with Stopwatch() as watch:
        for thread in threads:
            thread.start()
        latencies = delivery_latencies(channel, posts)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    done.seconds = watch.seconds
    return latencies, done


@dataclass
class Rounds:
    """The figures summed over interleaved rounds (see ``harness.Tally``)."""

    verify_one: Tally = field(default_factory=Tally)
    verify_all: Tally = field(default_factory=Tally)
    login_one: Tally = field(default_factory=Tally)
    login_many: Tally = field(default_factory=Tally)
    logins_under_probe: Tally = field(default_factory=Tally)
    serial_latencies: list[float] = field(default_factory=list)
    quiet_delivery: list[float] = field(default_factory=list)
    busy_delivery: list[float] = field(default_factory=list)


def one_round(
    channel: Channel,
    hasher: Argon2Hasher,
    password_hash: str,
    args: argparse.Namespace,
    batch: int,
    rounds: Rounds,
) -> None:
    cores = os.cpu_count() or 1
    port = channel.port
    rounds.verify_one.add(batch, verify_seconds(hasher, password_hash, batch, 1))
    serial = login_latencies(port, batch)
    rounds.serial_latencies += serial
    rounds.login_one.add(len(serial), sum(serial))
    per_thread = batch // cores * cores
    rounds.verify_all.add(per_thread, verify_seconds(hasher, password_hash, per_thread, cores))
    per_client = max(1, batch // args.clients)
    with Stopwatch() as watch, ThreadPoolExecutor(args.clients) as pool:
        runs = pool.map(lambda _: len(login_latencies(port, per_client)), range(args.clients))
        done = sum(runs)
    rounds.login_many.add(done, watch.seconds)
    rounds.quiet_delivery += delivery_latencies(channel, batch)
    busy, logins = delivery_under_logins(channel, batch, args.login_rate)
    rounds.busy_delivery += busy
    rounds.logins_under_probe.add(logins.count, logins.seconds)


def run(backend: Backend, args: argparse.Namespace) -> Report:
    logins = harness.size(args.logins, args.quick, 40, 200)
    cores = os.cpu_count() or 1
    with backend.fresh() as database:
        settings = database.settings
        hasher = Argon2Hasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_kib,
            parallelism=1,
        )
        password_hash = hasher.hash(PASSWORD)
        parameters = extract_parameters(password_hash)
        report = Report(
            "auth_logins",
            backend.name,
            {
                "argon2": f"m={parameters.memory_cost}KiB,t={parameters.time_cost},"
                f"p={parameters.parallelism}",
                "logins": logins,
                "clients": args.clients,
                "login_rate_tried": args.login_rate,
                "rounds": ROUNDS,
            },
        )
        rounds = Rounds()
        with live_node(settings) as port:
            call(port, "/api/v1/auth/register", CREDENTIALS)
            channel = open_channel(port)
            login_latencies(port, 5)  # warm up
            delivery_latencies(channel, 5)
            for _ in range(ROUNDS):
                one_round(channel, hasher, password_hash, args, logins // ROUNDS, rounds)
        add_figures(report, rounds, args, cores)
    return report


def add_figures(report: Report, rounds: Rounds, args: argparse.Namespace, cores: int) -> None:
    ms = 1000.0
    report.add("argon2 verify, 1 thread", rounds.verify_one.rate, "/s")
    report.add(f"argon2 verify, {cores} threads", rounds.verify_all.rate, "/s")
    report.add("login, 1 client", rounds.login_one.rate, "/s")
    report.add("login p50, 1 client", harness.percentile(rounds.serial_latencies, 0.5) * ms, "ms")
    report.add("login / verify, 1 at a time", rounds.login_one.rate / rounds.verify_one.rate, "x")
    report.add(f"login, {args.clients} clients", rounds.login_many.rate, "/s")
    report.add(
        f"login ({args.clients} clients) / verify (1 thread)",
        rounds.login_many.rate / rounds.verify_one.rate,
        "x",
        f"hashing capped at {max(1, cores - 1)} at a time",
    )
    quiet = harness.percentile(rounds.quiet_delivery, 0.99) * ms
    busy = harness.percentile(rounds.busy_delivery, 0.99) * ms
    report.add("delivery p50, quiet", harness.percentile(rounds.quiet_delivery, 0.5) * ms, "ms")
    report.add("delivery p99, quiet", quiet, "ms")
    tried = f"{args.login_rate:g}/s tried"
    report.add("logins during delivery", rounds.logins_under_probe.rate, "/s", tried)
    report.add("delivery p50, logins", harness.percentile(rounds.busy_delivery, 0.5) * ms, "ms")
    report.add("delivery p99, logins", busy, "ms")
    report.add("delivery p99 logins / quiet", busy / quiet, "x", "<= 1.2")


if __name__ == "__main__":
    harness.main(__doc__ or "", add_options, run)
