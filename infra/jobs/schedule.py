"""How the node's sweeper thread sweeps: by itself, or by queueing dramatiq jobs.

Kept apart from the jobs themselves so that a node without Redis never imports dramatiq.
"""

from __future__ import annotations

from collections.abc import Callable

from infra.settings import Settings


def sweep_schedule(settings: Settings) -> Callable[[], None] | None:
    """None: the sweeper sweeps in this process. Otherwise a call that queues a sweep."""
    if settings.redis_url is None:
        return None
    from infra.jobs.broker import node_broker
    from infra.jobs.sweeps import SweepJobs

    return SweepJobs(node_broker(settings)).schedule
