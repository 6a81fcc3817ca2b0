"""``hearth``: run a node, inspect and rebuild projections, read the audit log.

Configuration errors end the command with one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from domain.events import Recorded
from infra.errors import ConfigurationError, InfraError
from infra.settings import Settings, load_settings

if TYPE_CHECKING:
    from infra.jobs.dead_letters import DeadLetters

VIEW_NAMES = ("chat", "search")
"""The views `hearth projections rebuild` rebuilds (``infra.cli.inspect`` opens them)."""


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from infra.bootstrap import build_node
    from infra.web import create_app

    settings = load_settings()
    node = build_node(settings)
    app = create_app(node)
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port or settings.port,
        log_level="info",
        access_log=False,  # the access log would record client IP addresses
        ws_max_size=65536,
    )
    return 0


def _relay(_: argparse.Namespace) -> int:
    from infra.kafka.service import run_relay

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    run_relay(load_settings())
    return 0


def _projections_status(_: argparse.Namespace) -> int:
    from infra.cli.inspect import projection_status

    for line in projection_status(load_settings()):
        print(line)
    return 0


def _projections_rebuild(args: argparse.Namespace) -> int:
    from infra.cli.inspect import rebuild_view

    def show(position: int, head: int) -> None:
        print(f"  {args.name}: {position}/{head}", file=sys.stderr)

    started = time.monotonic()
    target = rebuild_view(load_settings(), args.name, show)
    print(
        f"{args.name}: rebuilt as generation {target.generation} in "
        f"{time.monotonic() - started:.1f}s, position {target.position()}"
    )
    return 0


def _event_line(recorded: Recorded) -> str:
    return json.dumps(
        {"position": recorded.position, **recorded.envelope.to_wire()}, ensure_ascii=False
    )


def _events_tail(args: argparse.Namespace) -> int:
    from infra.cli.inspect import open_log

    store = open_log(load_settings())
    position = args.after
    if args.last is not None:
        position = max(0, store.last_position() - args.last)
    try:
        while True:
            batch = store.read(position, 500)
            for recorded in batch:
                envelope = recorded.envelope
                if args.aggregate and envelope.aggregate_id != args.aggregate:
                    continue
                if args.type and envelope.type != args.type:
                    continue
                print(_event_line(recorded), flush=True)
            if batch:
                position = batch[-1].position
            elif not args.follow:
                return 0
            else:
                time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        store.close()


def _admin_check(_: argparse.Namespace) -> int:
    from infra.bootstrap import open_storage

    settings = load_settings()
    storage = open_storage(settings)
    where = (settings.database_url and "PostgreSQL") or f"SQLite in {settings.data_dir}"
    print(
        f"configuration ok; storage: {where};"
        f" log head {storage.recorder.max_notification_id() or 0}"
    )
    return 0


def _admin_checkpoint(_: argparse.Namespace) -> int:
    from infra.bootstrap import open_storage

    open_storage(load_settings()).checkpoint()
    print("WAL files truncated")
    return 0


def _worker(args: argparse.Namespace) -> int:
    import signal
    import threading

    from infra.jobs.worker import run_worker

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_worker(load_settings(), args.threads, stop)
    return 0


def _dead_letters(settings: Settings) -> DeadLetters:
    from infra.jobs.broker import node_broker
    from infra.jobs.dead_letters import DeadLetters

    if settings.redis_url is None:
        raise ConfigurationError("jobs are kept in Redis: set HEARTH_REDIS_URL")
    return DeadLetters(node_broker(settings))


def _jobs_dead(_: argparse.Namespace) -> int:
    letters = _dead_letters(load_settings()).list()
    for letter in letters:
        print(letter.line())
    print(f"{len(letters)} dead-lettered job(s)", file=sys.stderr)
    return 0


def _jobs_retry(args: argparse.Namespace) -> int:
    if not _dead_letters(load_settings()).retry(args.id):
        print(f"hearth: no dead-lettered job {args.id}", file=sys.stderr)
        return 1
    print(f"{args.id}: queued again")
    return 0


def _jobs_purge(_: argparse.Namespace) -> int:
    print(f"{_dead_letters(load_settings()).purge()} dead-lettered job(s) dropped")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="hearth", description="Hearth node")
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the node (HTTP API)")
    serve.add_argument("--host", help="bind address (default HEARTH_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default HEARTH_PORT or 8080)")
    serve.set_defaults(run=_serve)

    relay = commands.add_parser("relay", help="publish the log to Kafka (outbox relay)")
    relay.set_defaults(run=_relay)
    worker = commands.add_parser("worker", help="run background jobs (needs HEARTH_REDIS_URL)")
    worker.add_argument("--threads", type=int, default=2, help="jobs run at once (default 2)")
    worker.set_defaults(run=_worker)

    jobs = commands.add_parser("jobs", help="background jobs").add_subparsers(
        dest="action", required=True
    )
    jobs.add_parser("dead", help="list dead-lettered jobs").set_defaults(run=_jobs_dead)
    retry = jobs.add_parser("retry", help="queue a dead-lettered job again")
    retry.add_argument("id", help="the job's id, as `hearth jobs dead` shows it")
    retry.set_defaults(run=_jobs_retry)
    jobs.add_parser("purge", help="drop every dead-lettered job").set_defaults(run=_jobs_purge)

    projections = commands.add_parser("projections", help="read models").add_subparsers(
        dest="action", required=True
    )
    projections.add_parser("status", help="position and lag of each").set_defaults(
        run=_projections_status
    )
    rebuild = projections.add_parser("rebuild", help="rebuild a view from zero, live")
    rebuild.add_argument("name", choices=VIEW_NAMES)
    rebuild.set_defaults(run=_projections_rebuild)

    events = commands.add_parser("events", help="the audit log").add_subparsers(
        dest="action", required=True
    )
    tail = events.add_parser("tail", help="print events as JSON lines")
    tail.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    tail.add_argument("--aggregate", type=UUID, help="only this aggregate's events")
    tail.add_argument("--type", help="only events of this type, e.g. MessageDeleted")
    tail.add_argument("--after", type=int, default=0, help="start after this log position")
    tail.add_argument("--last", type=int, help="start this many events before the head")
    tail.set_defaults(run=_events_tail)

    admin = commands.add_parser("admin", help="operator tasks").add_subparsers(
        dest="action", required=True
    )
    admin.add_parser("check", help="validate settings and open storage").set_defaults(
        run=_admin_check
    )
    admin.add_parser("checkpoint", help="truncate SQLite WAL files now").set_defaults(
        run=_admin_checkpoint
    )
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except InfraError as error:
        print(f"hearth: {error}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
