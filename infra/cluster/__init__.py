"""Several processes of one node on one PostgreSQL: leases and cross-process wake-ups."""
