"""``hearth worker``: a process that runs the node's background jobs.

It opens the node's storage like ``hearth serve`` does, without serving HTTP or running
projections, declares the jobs with their implementations and consumes the queue with
dramatiq's worker threads until it is told to stop (SIGTERM or SIGINT). Any number of
workers may run, on any machine that reaches the database and Redis.
"""

from __future__ import annotations

import threading

import dramatiq

from infra.bootstrap import build_node
from infra.cluster.lease import claim_process_id
from infra.errors import ConfigurationError
from infra.jobs.broker import node_broker
from infra.jobs.sweeps import SweepJobs
from infra.settings import Settings


def run_worker(settings: Settings, threads: int, stop: threading.Event) -> None:
    if settings.redis_url is None:
        raise ConfigurationError("hearth worker needs HEARTH_REDIS_URL (jobs go through Redis)")
    # A sweep appends events, stamped with this process's HLC node id: on a shared
    # PostgreSQL the id must be this process's alone, as for `hearth serve`.
    claim = (
        claim_process_id(settings.database_url, settings.hlc_node)
        if settings.database_url
        else None
    )
    node = build_node(settings, start=False)
    broker = node_broker(settings)
    SweepJobs(broker, node.sweeper.sweep)
    worker = dramatiq.Worker(broker, worker_threads=threads)
    worker.start()
    try:
        stop.wait()
    finally:
        worker.stop()
        broker.close()
        node.close()
        if claim is not None:
            claim.release()
