"""One contract for every search index: the same tests on SQLite FTS5, PostgreSQL and
Meilisearch, each against the real engine.

Meilisearch runs where ``MEILI_URL`` names a server (with ``MEILI_MASTER_KEY`` if it has
one). No Meilisearch server can be installed on the project's machines, so there its case
is skipped with that reason, and docs/operations.md says so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from domain.hlc import HLC
from infra.projections.views import ViewTarget
from infra.search.sqlite_fts import open_search_file
from infra.search.wiring import SearchBackend, build_search
from infra.settings import load_settings
from infra.sql import Database, PostgresDatabase
from projections.search_models import SearchDocument, SearchHit, SearchQuery, parse_query
from projections.search_ports import SearchIndexWriter

MEILI_SKIP = "MEILI_URL not set: no Meilisearch server on this machine"
SERVER, OTHER_SERVER = uuid4(), uuid4()
GENERAL, RANDOM = uuid4(), uuid4()
ALICE, BOB = uuid4(), uuid4()


class Index:
    """One backend's index, written through its projection writer and read through its reader."""

    def __init__(self, db: Database, backend: SearchBackend) -> None:
        self.db, self.backend = db, backend
        self.target = ViewTarget.open_live(db, backend.spec)
        self._clock = 0

    def write(self, change: Callable[[SearchIndexWriter], None]) -> None:
        spec = self.backend.spec
        with self.db.write() as cursor:
            view = spec.writer(cursor, self.target.generation)
            change(view.index)
            if spec.flush is not None:
                spec.flush(view)

    def document(
        self, content: str, channel: UUID = GENERAL, author: UUID = ALICE, server: UUID = SERVER
    ) -> SearchDocument:
        self._clock += 1
        return SearchDocument(
            message_id=uuid4(),
            server_id=server,
            channel_id=channel,
            author_id=author,
            hlc=HLC(1_700_000_000_000 + self._clock, 0, "node"),
            edited_hlc=None,
            content=content,
        )

    def add(self, *documents: SearchDocument) -> None:
        self.write(lambda index: index.upsert(documents))

    def search(self, text: str, **filters: object) -> list[SearchHit]:
        query = SearchQuery(server_id=SERVER, terms=parse_query(text), **filters)  # type: ignore[arg-type]
        return self.backend.reader.search(query)

    def ids(self, text: str, **filters: object) -> list[UUID]:
        return [hit.message_id for hit in self.search(text, **filters)]


def _settings(tmp_path: Path, **env: str):  # type: ignore[no-untyped-def]
    name = f"contract-{uuid.uuid4().hex[:10]}"
    return load_settings({"HEARTH_DATA_DIR": str(tmp_path), "HEARTH_NODE_NAME": name, **env})


@pytest.fixture(params=["sqlite", "postgresql", "meilisearch"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Index]:
    if request.param == "meilisearch":
        url = os.environ.get("MEILI_URL")
        if not url:
            pytest.skip(MEILI_SKIP)
        env = {"HEARTH_SEARCH_BACKEND": "meilisearch", "MEILI_URL": url}
        if os.environ.get("MEILI_MASTER_KEY"):
            env["MEILI_MASTER_KEY"] = os.environ["MEILI_MASTER_KEY"]
        settings = _settings(tmp_path, **env)
    else:
        settings = _settings(tmp_path)
    db: Database
    if request.param == "postgresql":
        db = PostgresDatabase(request.getfixturevalue("postgres_url"))
    else:
        db = open_search_file(str(tmp_path / "search.sqlite3"))
    built = Index(db, build_search(settings, db))
    try:
        yield built
    finally:
        if built.backend.spec.outside is not None:
            built.backend.spec.outside.drop(built.target.generation)
        db.close()


def test_finds_a_word_whatever_its_case_and_highlights_it(index: Index) -> None:
    wanted = index.document("The Lighthouse keeper waved at the ferry")
    index.add(wanted, index.document("nothing to see here"))
    [hit] = index.search("lighthouse")
    assert (hit.message_id, hit.channel_id, hit.author_id) == (wanted.message_id, GENERAL, ALICE)
    assert (hit.hlc, hit.edited_hlc) == (str(wanted.hlc), None)
    assert [part.text for part in hit.snippet if part.highlight] == ["Lighthouse"]
    assert "".join(part.text for part in hit.snippet) == wanted.content


def test_a_long_text_is_cut_to_a_snippet_around_the_match(index: Index) -> None:
    words = [f"filler{n}" for n in range(200)]
    words[120] = "albatross"
    index.add(index.document(" ".join(words)))
    [hit] = index.search("albatross")
    text = "".join(part.text for part in hit.snippet)
    assert [part.text for part in hit.snippet if part.highlight] == ["albatross"]
    assert "filler119 albatross filler121" in text
    assert len(text.split()) < 60


def test_every_word_must_match_and_a_phrase_in_order(index: Index) -> None:
    both = index.document("orange marmalade on toast")
    one = index.document("orange juice")
    reversed_phrase = index.document("marmalade made of orange")
    index.add(both, one, reversed_phrase)
    assert set(index.ids("orange marmalade")) == {both.message_id, reversed_phrase.message_id}
    assert index.ids('"orange marmalade"') == [both.message_id]
    assert index.ids("pineapple") == []


def test_an_upsert_replaces_the_text(index: Index) -> None:
    original = index.document("walrus")
    index.add(original)
    edited = original.model_copy(update={"content": "narwhal", "edited_hlc": original.hlc})
    index.add(edited)
    assert index.ids("walrus") == []
    [hit] = index.search("narwhal")
    assert hit.edited_hlc == str(original.hlc)


def test_delete_removes_documents_and_ignores_unknown_ids(index: Index) -> None:
    gone, kept = index.document("pelican one"), index.document("pelican two")
    index.add(gone, kept)
    index.write(lambda writer: writer.delete([gone.message_id, uuid4()]))
    assert index.ids("pelican") == [kept.message_id]


def test_delete_channel_removes_only_that_channel(index: Index) -> None:
    gone, kept = index.document("heron", channel=RANDOM), index.document("heron")
    index.add(gone, kept)
    index.write(lambda writer: writer.delete_channel(RANDOM))
    assert index.ids("heron") == [kept.message_id]


def test_filters_by_server_channel_and_author(index: Index) -> None:
    general_alice = index.document("badger")
    random_bob = index.document("badger", channel=RANDOM, author=BOB)
    elsewhere = index.document("badger", server=OTHER_SERVER)
    index.add(general_alice, random_bob, elsewhere)
    assert set(index.ids("badger")) == {general_alice.message_id, random_bob.message_id}
    assert index.ids("badger", channel_id=RANDOM) == [random_bob.message_id]
    assert index.ids("badger", author_id=ALICE) == [general_alice.message_id]
    assert index.ids("badger", author_id=BOB, channel_id=GENERAL) == []


def test_newest_first_and_pages_back_in_time(index: Index) -> None:
    documents = [index.document(f"otter number {n}") for n in range(5)]
    index.add(*reversed(documents))
    newest_first = [d.message_id for d in reversed(documents)]
    assert index.ids("otter") == newest_first
    assert index.ids("otter", limit=2) == newest_first[:2]
    assert index.ids("otter", before=documents[2].hlc, limit=10) == newest_first[3:]


def test_each_generation_is_its_own_index(index: Index, tmp_path: Path) -> None:
    """A rebuild fills a new generation while the live one keeps answering."""
    index.add(index.document("kingfisher"))
    fresh = ViewTarget.create_next(index.db, index.backend.spec)
    try:
        assert fresh.generation == index.target.generation + 1
        assert len(index.ids("kingfisher")) == 1
        fresh.apply_batch([], promote=True)
        assert index.ids("kingfisher") == []
    finally:
        if index.backend.spec.outside is not None:
            index.backend.spec.outside.drop(fresh.generation)
