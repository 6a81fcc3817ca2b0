"""Background jobs on dramatiq with its Redis broker, used when ``HEARTH_REDIS_URL`` is set.

The node's processes enqueue; ``hearth worker`` processes execute. Failed jobs are
retried with exponential backoff, and a job that keeps failing is dead-lettered, where
``hearth jobs dead`` shows it and ``hearth jobs retry`` / ``purge`` deal with it.
"""
