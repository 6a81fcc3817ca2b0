"""The composition root: settings in, a running node out.

The only place that chooses adapters (SQLite or PostgreSQL), opens connections
and starts threads. Nothing else reads the environment or connects at import time.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import pkgutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from eventsourcing.persistence import ApplicationRecorder, PersistenceError
from eventsourcing.postgres import PostgresDatastore

import domain
from api.accounts import Accounts, SecondFactors
from api.chat_commands import ChatCommands
from api.file_commands import FileCommands
from api.file_storage import StorageBackend
from api.key_directory import KeyDirectory
from domain.events import catalogue
from domain.hlc import HLC
from infra.auth.tokens import TokenService
from infra.auth.wiring import build_auth
from infra.cluster.lease import Lease
from infra.cluster.membership import Membership, lease_of
from infra.errors import ConfigurationError, StorageUnavailable
from infra.eventstore.clock import NodeClock
from infra.eventstore.codec import EventCodec
from infra.eventstore.keys import KeyStore
from infra.eventstore.recorders import PostgresEventRecorder, SQLiteEventRecorder, sqlite_datastore
from infra.eventstore.store import EventStore
from infra.jobs.schedule import sweep_schedule
from infra.keydirectory.store import SqlKeyDirectoryStore
from infra.projections.file_reaper import FileReaperTarget
from infra.projections.rebuild import rebuild
from infra.projections.runner import ProjectionRunner
from infra.projections.shredder import ShredderTarget
from infra.projections.views import ViewSpec, ViewTarget
from infra.readmodels.chat_reader import SqlChatViewReader
from infra.readmodels.chat_view import CHAT_VIEW
from infra.readstate import SqlReadState
from infra.search.sqlite_fts import open_search_file
from infra.search.wiring import build_search
from infra.settings import Settings
from infra.sql import Database, PostgresDatabase, SQLiteDatabase
from infra.storage.factory import build_storage_backend
from infra.sweeper import Sweeper
from projections.search_ports import SearchIndexReader

log = logging.getLogger(__name__)


@dataclass
class Storage:
    """The node's databases: the log (with its key table) and the read-model database."""

    recorder: ApplicationRecorder
    keys: KeyStore
    views: Database
    accounts: Database
    search: Database
    """Where the search view keeps its position (and, when embedded, its index)."""
    sqlite_files: list[Path] = field(default_factory=list)

    def checkpoint(self) -> None:
        """Truncate SQLite WAL files, so deleted bytes leave them (no-op on PostgreSQL)."""
        for path in self.sqlite_files:
            connection = sqlite3.connect(path)
            try:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                connection.close()
        if isinstance(self.search, SQLiteDatabase):
            # Through its own connection: the search file is opened by another SQLite library
            # (pysqlite3), and two libraries in one process must not share a file, or closing
            # one's descriptor drops the other's POSIX locks.
            self.search.checkpoint()


def _prepare_data_dir(path: Path) -> Path:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigurationError(
            f"HEARTH_DATA_DIR {path} cannot be created: {error.strerror}"
        ) from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigurationError(f"HEARTH_DATA_DIR {path} is not writable")
    return path


def _postgres_datastore(url: str) -> PostgresDatastore:
    parts = urlparse(url)
    return PostgresDatastore(
        dbname=(parts.path or "/").lstrip("/") or "postgres",
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        pool_size=4,
        max_overflow=4,
        connect_timeout=5,
    )


def open_storage(settings: Settings) -> Storage:
    """Open (and create the tables of) the log and the read-model database."""
    load_event_catalogue()
    try:
        if settings.database_url:
            datastore = _postgres_datastore(settings.database_url)
            recorder: ApplicationRecorder = PostgresEventRecorder(datastore)
            recorder.create_table()  # type: ignore[attr-defined]
            shared = PostgresDatabase(settings.database_url)
            return Storage(recorder, KeyStore(datastore), shared, shared, shared)
        data_dir = _prepare_data_dir(settings.data_dir)
        events_path, views_path = data_dir / "events.sqlite3", data_dir / "views.sqlite3"
        accounts_path = data_dir / "accounts.sqlite3"
        sqlite_store = sqlite_datastore(str(events_path))
        recorder = SQLiteEventRecorder(sqlite_store)
        recorder.create_table()
        views, accounts = SQLiteDatabase(str(views_path)), SQLiteDatabase(str(accounts_path))
        search_path = data_dir / "search.sqlite3"
        search = open_search_file(str(search_path))
        files = [events_path, views_path, accounts_path]
        return Storage(recorder, KeyStore(sqlite_store), views, accounts, search, files)
    except (PersistenceError, sqlite3.Error) as error:
        raise StorageUnavailable(f"cannot open the database: {error}") from None


def load_event_catalogue() -> None:
    """Import every domain module, so each registers its events before the log is read."""
    for module in pkgutil.iter_modules(domain.__path__):
        importlib.import_module(f"domain.{module.name}")


def last_hlc(recorder: ApplicationRecorder) -> HLC | None:
    newest = recorder.max_notification_id()
    if not newest:
        return None
    [last] = recorder.select_notifications(start=newest, limit=1)
    return HLC.parse(json.loads(last.state)["hlc"])


@dataclass
class Node:
    settings: Settings
    storage: Storage
    store: EventStore
    chat_runner: ProjectionRunner
    shredder: ProjectionRunner
    sweeper: Sweeper
    reader: SqlChatViewReader
    commands: ChatCommands
    accounts: Accounts
    tokens: TokenService
    second_factors: SecondFactors
    key_directory: KeyDirectory
    read_state: SqlReadState
    files: StorageBackend
    file_commands: FileCommands
    file_reaper: ProjectionRunner
    search_runner: ProjectionRunner
    search: SearchIndexReader
    membership: Membership | None = None
    """Set when the node shares PostgreSQL with other processes of itself (or may)."""

    def runners(self) -> list[ProjectionRunner]:
        return [self.chat_runner, self.shredder, self.file_reaper, self.search_runner]

    def close(self) -> None:
        self.sweeper.stop()
        for runner in self.runners():
            runner.stop()
        if self.membership is not None:
            self.membership.close()
        self.store.close()
        self.storage.views.close()
        self.storage.accounts.close()
        self.storage.search.close()


def follow_view(
    store: EventStore, db: Database, spec: ViewSpec, lease: Lease | None
) -> ProjectionRunner:
    """A runner on the live generation of a view, rebuilt first if another version built it.

    ``lease`` is None for a one-process node; with several processes only its holder projects.
    """
    target = ViewTarget.open_live(db, spec)
    if target.stale:
        log.warning("the %s view was built by another version; rebuilding it", spec.name)
        target = rebuild(store, db, spec)
    target.drop_other_generations()
    return ProjectionRunner(
        store, target, reopen=lambda: ViewTarget.open_live(db, spec), lease=lease
    )


def build_node(settings: Settings, *, start: bool = True) -> Node:
    storage = open_storage(settings)
    files = build_storage_backend(settings)
    membership = (
        Membership(settings.database_url, settings.hlc_node)
        if (settings.database_url and start)
        else None
    )
    clock = NodeClock(settings.hlc_node, last_hlc(storage.recorder))
    store = EventStore(storage.recorder, storage.keys, EventCodec(catalogue), clock)
    chat_runner = follow_view(store, storage.views, CHAT_VIEW, lease_of(membership, "chat"))
    search = build_search(settings, storage.search)
    search_runner = follow_view(
        store, storage.search, search.spec, lease_of(membership, search.spec.name)
    )
    key_store = SqlKeyDirectoryStore(storage.accounts)
    read_state = SqlReadState(storage.accounts)
    erasers = (key_store.erase, read_state.forget)
    shredder = ProjectionRunner(
        store,
        ShredderTarget(storage.keys, storage.views, erasers),
        lease=lease_of(membership, "shredder"),
    )
    reader = SqlChatViewReader(storage.views)
    commands = ChatCommands(store)
    sweeper = Sweeper(
        reader,
        commands,
        storage.checkpoint,
        lease=lease_of(membership, "sweeper"),
        schedule=sweep_schedule(settings),
    )
    auth = build_auth(settings, storage.accounts, commands, store)
    file_commands = FileCommands(store)
    file_reaper = ProjectionRunner(
        store,
        FileReaperTarget(storage.views, files, file_commands),
        lease=lease_of(membership, "file_reaper"),
    )
    node = Node(
        settings,
        storage,
        store,
        chat_runner,
        shredder,
        sweeper,
        reader,
        commands,
        auth.accounts,
        auth.tokens,
        auth.second_factors,
        KeyDirectory(store, key_store),
        read_state,
        files,
        file_commands,
        file_reaper,
        search_runner,
        search.reader,
        membership,
    )
    if membership is not None:
        channel = storage.recorder.channel_name  # type: ignore[attr-defined]
        membership.listen(store, channel, {r.target.name: r for r in node.runners()})
    if start:
        for runner in node.runners():
            runner.start()
        sweeper.start()
    return node
