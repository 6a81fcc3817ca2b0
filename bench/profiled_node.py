"""``hearth`` with its threads named for the kernel, and optionally cProfile in every thread.

    python -m bench.profiled_node threads serve
    python -m bench.profiled_node cprofile STATS_FILE serve

This is how ``python -m bench.gateway --profile threads|cprofile`` starts the node.
The node does its work on several threads: the event loop (HTTP, the gateway's
fan-out), the thread pool that runs synchronous routes (posts, reads), the group
commit, and the projection runners.

``threads`` gives each OS thread its Python thread's name (``prctl(PR_SET_NAME)``,
the first 15 bytes), so that the benchmark can read each thread's CPU time from
``/proc/<pid>/task/<tid>/stat`` and say which part of the node a window's CPU went
to, at no cost to the node: nothing is traced.

``cprofile`` also gives each thread a profiler of its own as it starts
(``threading.setprofile``; cProfile follows one thread) counting that thread's CPU
time (``time.thread_time``), and merges them into ``STATS_FILE`` when the node
exits. Tracing slows Python code several times, pure-Python loops most, so a
profile says which functions are hot, not what share of the real cost they have.
A call still running when the node stops (a worker waiting on its queue) is closed
with the main thread's clock and shows a meaningless time.
"""

from __future__ import annotations

import cProfile
import ctypes
import pstats
import signal
import sys
import threading
import time
from typing import Any

from infra.cli.main import main as hearth

PR_SET_NAME = 15
EVENT_LOOP = "event-loop"


def name_os_thread(name: str) -> None:
    """Show ``name`` as this thread's ``comm`` in /proc (Linux keeps 15 bytes)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def main(argv: list[str]) -> int:
    mode, rest = argv[0], argv[1:]
    stats_file, command = (rest[0], rest[1:]) if mode == "cprofile" else (None, rest)
    profilers: list[cProfile.Profile] = []

    def on_thread_start(*_: Any) -> None:
        """The first profile event of a new thread: name it, and profile it when asked."""
        name_os_thread(threading.current_thread().name)
        sys.setprofile(None)
        if stats_file is not None:
            profiler = cProfile.Profile(time.thread_time)
            profilers.append(profiler)
            profiler.enable()

    # uvicorn hands SIGTERM back to the previous handler once it has shut down; this one
    # unwinds to the ``finally`` below, where the default handler would end the process.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    name_os_thread(EVENT_LOOP)
    threading.setprofile(on_thread_start)
    main_profiler = cProfile.Profile(time.thread_time)
    if stats_file is not None:
        main_profiler.enable()
    try:
        return hearth(command)
    finally:
        if stats_file is not None:
            main_profiler.disable()
            threading.setprofile(None)
            stats = pstats.Stats(main_profiler)
            for profiler in profilers:
                profiler.disable()
                stats.add(profiler)
            stats.dump_stats(stats_file)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
