"""A node as an operator runs it: ``hearth serve`` in a process of its own, pinned to one core.

The gateway benchmark measures the node from outside, so the node gets a core to
itself (``taskset``) and the load generator another. This module starts such a node
on a fresh data folder and a free loopback port, times its cold start (spawn to the
first ``200`` from ``GET /healthz``), and reads what the kernel accounts to it: CPU
time (``/proc/<pid>/stat``, every thread of the process) and resident memory
(``/proc/<pid>/status``). Nothing inside the node is instrumented.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.harness import _free_port

ROOT = Path(__file__).resolve().parent.parent
HEARTH = Path(sys.executable).parent / "hearth"
START_TIMEOUT_SECONDS = 60.0
HEALTH_POLL_SECONDS = 0.005
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# What every benchmark node runs with, beyond a fresh data folder and port:
BENCH_SETTINGS = {
    "HEARTH_NODE_NAME": "bench",
    # The generator's own heartbeats keep sessions open; a long interval keeps their
    # acks out of the measured traffic.
    "HEARTH_HEARTBEAT_SECONDS": "300",
    # The setup registers several accounts from one address, which the login/register
    # rate limit (30 a minute per client) would refuse.
    "HEARTH_RATE_LIMIT_CLIENT_REQUESTS": "1000000",
    # A full run lasts longer than the default 15 minutes of an access token.
    "HEARTH_ACCESS_TOKEN_MINUTES": "60",
}


@dataclass
class NodeProcess:
    """A running ``hearth serve``; ``started_in`` is seconds from spawn to the first healthz."""

    process: subprocess.Popen[bytes]
    port: int
    folder: Path
    started_in: float

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/gateway"

    def cpu_seconds(self) -> float:
        """User + system CPU time of every thread of the node so far (clock-tick resolution)."""
        return _stat_cpu_seconds(Path(f"/proc/{self.process.pid}/stat").read_text())

    def thread_cpu_seconds(self) -> dict[tuple[int, str], float]:
        """CPU time so far of each live thread, by (thread id, name).

        Names are the kernel's (``comm``): the process's name for most threads unless
        the node runs under ``bench.profiled_node``, which names each after its Python
        thread. A thread that ended is no longer listed (its time stays in the
        process's total, ``cpu_seconds``).
        """
        threads: dict[tuple[int, str], float] = {}
        for task in Path(f"/proc/{self.process.pid}/task").iterdir():
            try:
                stat = (task / "stat").read_text()
            except FileNotFoundError:  # the thread ended meanwhile
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            threads[(int(task.name), name)] = _stat_cpu_seconds(stat)
        return threads

    def rss_bytes(self) -> int:
        """Resident memory of the node now (``VmRSS``)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmRSS for the node process")

    def log_tail(self, lines: int = 30) -> str:
        text = (self.folder / "node.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _stat_cpu_seconds(stat: str) -> float:
    """utime + stime of a ``/proc/.../stat`` line, in seconds.

    The fields after the command name (in parentheses, and it may hold spaces);
    utime and stime are fields 14 and 15 of proc(5), here at 11 and 12.
    """
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def core_busy_seconds(core: int) -> float:
    """Seconds ``core`` has spent on any work (every process, interrupts, hypervisor steal).

    From ``/proc/stat``: user, nice, system, irq, softirq and steal, not idle or iowait.
    Less the node's own CPU time, this is what other processes took from the node's
    core, which a benchmark on a shared machine must know.
    """
    for line in Path("/proc/stat").read_text().splitlines():
        fields = line.split()
        if fields[0] == f"cpu{core}":
            user, nice, system, _, _, irq, softirq, steal = map(int, fields[1:9])
            return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
    raise RuntimeError(f"no cpu{core} in /proc/stat")


def _node_environment(
    folder: Path, port: int, bytecode: Path, extra: Mapping[str, str]
) -> dict[str, str]:
    """The caller's environment without its HEARTH_* settings, plus the benchmark's.

    Python keeps compiled bytecode in ``bytecode`` (``PYTHONPYCACHEPREFIX``), outside
    the repository and the virtualenv, even where the environment says not to write
    any (``PYTHONDONTWRITEBYTECODE``): an installed node has its modules compiled
    (pip compiles them at install), and without that every start would compile
    every module again, which is not what an operator's restart costs.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEARTH_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(bytecode)
    env.update(BENCH_SETTINGS)
    env["HEARTH_DATA_DIR"] = str(folder / "data")
    if port:
        env["HEARTH_PORT"] = str(port)
    env.update(extra)
    return env


def _healthy(port: int, path: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def _wait_until_healthy(
    process: subprocess.Popen[bytes], port: int, path: str, folder: Path
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _healthy(port, path):
        if process.poll() is not None or time.monotonic() > deadline:
            log = (folder / "node.log").read_text(errors="replace")
            raise RuntimeError(f"the server did not start (exit {process.poll()}):\n{log[-3000:]}")
        time.sleep(HEALTH_POLL_SECONDS)


@contextmanager
def running_server(
    command: Sequence[str],
    env: Mapping[str, str],
    port: int,
    folder: Path,
    core: int | None,
    health_path: str = "/healthz",
    cwd: Path = ROOT,
) -> Iterator[NodeProcess]:
    """Any HTTP server in a process of its own pinned to ``core``, until the block ends.

    It is started in ``cwd`` with ``env``, its output goes to
    ``folder/node.log``, and it counts as started at its first ``200`` from
    ``health_path``. Polling runs here, on the generator's core, so it takes nothing
    from the server's; a poll every 5 ms bounds the cold start's error to about that.
    """
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
    spawned = time.perf_counter()
    with _spawned(command, folder, env, cwd) as process:
        _wait_until_healthy(process, port, health_path, folder)
        yield NodeProcess(process, port, folder, time.perf_counter() - spawned)


@contextmanager
def running_node(
    core: int | None,
    bytecode: Path,
    profile: Sequence[str] = (),
    extra: Mapping[str, str] | None = None,
    folder: Path | None = None,
) -> Iterator[NodeProcess]:
    """``hearth serve`` on a free port, pinned to ``core``; stopped after.

    The node's data lives in ``folder`` (kept, for a restart on the same data), or in a
    fresh folder removed afterwards. ``bytecode`` is where Python caches compiled
    modules across the starts of one run. ``profile`` (``threads``, or ``cprofile``
    and a statistics file) runs the node through ``bench.profiled_node`` with those
    arguments.
    """
    scratch = folder is None
    folder = folder or Path(tempfile.mkdtemp(prefix="hearth-bench-gateway-"))
    port = _free_port()
    command = [str(HEARTH), "serve"]
    if profile:
        command = [sys.executable, "-m", "bench.profiled_node", *profile, "serve"]
    env = _node_environment(folder, port, bytecode, extra or {})
    try:
        with running_server(command, env, port, folder, core) as node:
            yield node
    finally:
        if scratch:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def running_relay(bytecode: Path, extra: Mapping[str, str]) -> Iterator[NodeProcess]:
    """``hearth relay`` (the outbox relay to Kafka) with ``extra`` settings; stopped after.

    It serves no HTTP (``port`` is 0); it runs once it says it holds the relay's lease."""
    folder = Path(tempfile.mkdtemp(prefix="hearth-bench-relay-"))
    env = _node_environment(folder, 0, bytecode, extra)
    spawned = time.perf_counter()
    try:
        with _spawned([str(HEARTH), "relay"], folder, env, ROOT) as process:
            relay = NodeProcess(process, 0, folder, 0.0)
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while "now runs kafka-relay" not in relay.log_tail(200):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the relay did not start (exit {process.poll()}):\n{relay.log_tail()}"
                    )
                time.sleep(0.05)
            relay.started_in = time.perf_counter() - spawned
            yield relay
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _spawned(
    command: Sequence[str], folder: Path, env: Mapping[str, str], cwd: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """``command`` with its output appended to ``folder``/node.log; stopped (or killed)
    after, also when it was killed meanwhile."""
    log = (folder / "node.log").open("ab")
    process = subprocess.Popen(
        command, cwd=cwd, env=dict(env), stdout=log, stderr=subprocess.STDOUT
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
