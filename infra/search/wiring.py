"""Which search index a node uses, as a view the projection runner follows.

``HEARTH_SEARCH_BACKEND=embedded`` (the default) keeps the index beside the read models: in
SQLite FTS5 (its own file, ``search.sqlite3``) or in PostgreSQL's full-text search when the
node runs on PostgreSQL. ``meilisearch`` sends it to the server at ``MEILI_URL``.
"""

from __future__ import annotations

from dataclasses import dataclass

from infra.errors import ConfigurationError
from infra.projections.views import ViewSpec
from infra.search import meili, postgres_fts, sqlite_fts
from infra.search.scope import scope_create_statements, scope_drop_statements
from infra.search.sql_index import SqlIndexReader
from infra.settings import Settings
from infra.sql import Database
from projections import search
from projections.search_ports import SearchIndexReader

EMBEDDED_VERSION = 1
MEILISEARCH_VERSION = 2
"""A view's version names its backend as well as its shape: on a node that switches backend,
the live generation was built elsewhere, so it is stale and rebuilt from the log into the
new backend. A change of shape bumps both numbers (to 3 and 4)."""


@dataclass(frozen=True)
class SearchBackend:
    spec: ViewSpec
    reader: SearchIndexReader


def build_search(settings: Settings, db: Database) -> SearchBackend:
    """The search view on ``db`` (where its position and bookkeeping live) and its reader."""
    if settings.search_backend == "meilisearch":
        if settings.meili_url is None:
            raise ConfigurationError("HEARTH_SEARCH_BACKEND=meilisearch needs MEILI_URL")
        indexes = meili.MeiliIndexes(
            settings.meili_url, settings.meili_master_key, settings.node_name
        )
        spec = ViewSpec(
            name=search.NAME,
            apply=search.apply,
            writer=meili.meili_view(indexes),
            create_statements=scope_create_statements,
            drop_statements=scope_drop_statements,
            version=MEILISEARCH_VERSION,
            outside=indexes,
            flush=meili.flush,
        )
        return SearchBackend(spec, meili.MeiliIndexReader(indexes, db))
    engine = postgres_fts if db.dialect == "postgresql" else sqlite_fts
    spec = ViewSpec(
        name=search.NAME,
        apply=search.apply,
        writer=engine.scoped_index,
        create_statements=lambda g: scope_create_statements(g) + engine.create_statements(g),
        drop_statements=lambda g: scope_drop_statements(g) + engine.drop_statements(g),
        version=EMBEDDED_VERSION,
    )
    return SearchBackend(spec, SqlIndexReader(db, engine.select_matches))
