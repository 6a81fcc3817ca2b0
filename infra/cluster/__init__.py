"""What the processes of one node share: leases and wake-ups through PostgreSQL; presence,
typing, gateway routing and rate-limit counters through Redis. The Redis state is ephemeral:
losing Redis loses no acknowledged write, and each process re-asserts what it holds once Redis
is back."""
