"""Message search through the API, on a whole node (SQLite and PostgreSQL)."""

from __future__ import annotations

import time
from typing import Any

from infra.bootstrap import Node
from infra.projections.rebuild import rebuild
from infra.search.wiring import build_search
from tests.conftest import Person


def followed(node: Node) -> None:
    """Wait until the search projection has applied the whole log."""
    assert node.search_runner.wait_until(node.store.last_position(), 10), node.search_runner.failure


def search(person: Person, server: str, node: Node, **params: Any) -> Any:
    followed(node)
    response = person.get(f"/api/v1/servers/{server}/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def found(person: Person, server: str, node: Node, q: str, **params: Any) -> list[str]:
    return [hit["message_id"] for hit in search(person, server, node, q=q, **params)["results"]]


def make_server(owner: Person, *members: Person) -> tuple[str, str]:
    server = owner.post("/api/v1/servers", {"name": "S"}).json()
    for member in members:
        assert member.join(owner.invite(server["id"])).status_code in (200, 201)
    return server["id"], server["general_channel_id"]


def post(person: Person, channel: str, content: str, **extra: object) -> str:
    response = person.post(f"/api/v1/channels/{channel}/messages", {"content": content, **extra})
    assert response.status_code == 201, response.text
    message_id: str = response.json()["id"]
    return message_id


def test_members_find_public_messages_with_a_highlighted_snippet(
    node: Node, people: dict[str, Person]
) -> None:
    alice, bob = people["alice"], people["bob"]
    server, general = make_server(alice, bob)
    message = post(alice, general, "Meet me at the Lighthouse tonight")
    post(alice, general, "something else entirely")
    page = search(bob, server, node, q="lighthouse")
    assert page["next_before"] is None
    [hit] = page["results"]
    assert hit["message_id"] == message
    assert (hit["channel_id"], hit["author_id"]) == (general, str(alice.id))
    assert hit["hlc"] and hit["edited_hlc"] is None
    assert hit["snippet"] == [
        {"text": "Meet me at the ", "highlight": False},
        {"text": "Lighthouse", "highlight": True},
        {"text": " tonight", "highlight": False},
    ]


def test_private_channel_and_dm_messages_are_not_searchable(
    node: Node, people: dict[str, Person]
) -> None:
    alice, bob = people["alice"], people["bob"]
    server, general = make_server(alice, bob)
    private = alice.post(
        f"/api/v1/servers/{server}/channels", {"name": "mods", "kind": "private"}
    ).json()["id"]
    post(alice, private, "zeppelin plans for moderators")
    public = post(alice, general, "zeppelin for everyone")
    assert found(alice, server, node, "zeppelin") == [public]
    followed(node)
    with node.storage.search.read() as cursor:
        cursor.execute("SELECT id FROM search_g1_messages")
        assert [row["id"] for row in cursor.fetchall()] == [public]


def test_edits_replace_and_deletions_remove(node: Node, people: dict[str, Person]) -> None:
    alice = people["alice"]
    server, general = make_server(alice)
    message = post(alice, general, "walrus")
    kept = post(alice, general, "walrus too")
    alice.patch(f"/api/v1/channels/{general}/messages/{message}", {"content": "narwhal"})
    assert found(alice, server, node, "walrus") == [kept]
    [hit] = search(alice, server, node, q="narwhal")["results"]
    assert hit["message_id"] == message and hit["edited_hlc"] is not None
    assert alice.delete(f"/api/v1/channels/{general}/messages/{message}").status_code == 204
    assert found(alice, server, node, "narwhal") == []


def test_an_expired_message_leaves_the_index(node: Node, people: dict[str, Person]) -> None:
    alice = people["alice"]
    server, general = make_server(alice)
    post(alice, general, "mayfly", ttl_seconds=1)
    assert len(found(alice, server, node, "mayfly")) == 1
    deadline = time.monotonic() + 10
    while found(alice, server, node, "mayfly") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert found(alice, server, node, "mayfly") == []


def test_a_deleted_channel_takes_its_messages_out(node: Node, people: dict[str, Person]) -> None:
    alice = people["alice"]
    server, general = make_server(alice)
    other = alice.post(f"/api/v1/servers/{server}/channels", {"name": "other"}).json()["id"]
    post(alice, other, "heron")
    kept = post(alice, general, "heron")
    assert alice.delete(f"/api/v1/channels/{other}").status_code == 204
    assert found(alice, server, node, "heron") == [kept]


def test_only_members_can_search_a_server(node: Node, people: dict[str, Person]) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    server, general = make_server(alice, bob)
    post(alice, general, "badger")
    followed(node)
    outsider = carol.get(f"/api/v1/servers/{server}/search", params={"q": "badger"})
    assert outsider.status_code == 404
    assert outsider.json()["error"]["code"] == "not_found"
    assert len(found(bob, server, node, "badger")) == 1
    assert bob.delete(f"/api/v1/servers/{server}/members/{bob.id}").status_code == 204
    assert bob.get(f"/api/v1/servers/{server}/search", params={"q": "badger"}).status_code == 404


def test_filters_and_pages(node: Node, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    server, general = make_server(alice, bob)
    other = alice.post(f"/api/v1/servers/{server}/channels", {"name": "other"}).json()["id"]
    by_alice = [post(alice, general, f"otter {n}") for n in range(3)]
    by_bob = post(bob, other, "otter from bob")
    newest_first = [by_bob, *reversed(by_alice)]
    assert found(alice, server, node, "otter") == newest_first
    assert found(alice, server, node, "otter", channel_id=other) == [by_bob]
    assert found(alice, server, node, "otter", author_id=str(alice.id)) == newest_first[1:]
    first = search(alice, server, node, q="otter", limit=2)
    assert [h["message_id"] for h in first["results"]] == newest_first[:2]
    assert first["next_before"] == newest_first[1]
    second = search(alice, server, node, q="otter", limit=2, before=first["next_before"])
    assert [h["message_id"] for h in second["results"]] == newest_first[2:]
    assert second["next_before"] is None


def test_bad_requests_get_clear_errors(node: Node, people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    server, _ = make_server(alice)
    _, elsewhere = make_server(bob)
    message_elsewhere = post(bob, elsewhere, "hidden")
    url = f"/api/v1/servers/{server}/search"
    cases = [
        ({}, 422, "invalid_request"),
        ({"q": "?!"}, 422, "invalid_query"),
        ({"q": "x" * 201}, 422, "invalid_request"),
        ({"q": "a", "limit": 0}, 422, "invalid_request"),
        ({"q": "a", "limit": 101}, 422, "invalid_request"),
        ({"q": "a", "channel_id": "nope"}, 422, "invalid_request"),
        ({"q": "a", "channel_id": elsewhere}, 404, "not_found"),
        ({"q": "a", "before": message_elsewhere}, 422, "invalid_cursor"),
    ]
    for params, status, code in cases:
        response = alice.get(url, params=params)
        assert response.status_code == status, (params, response.text)
        assert response.json()["error"]["code"] == code, params
    assert alice.client.get(url, params={"q": "a"}).status_code == 401
    assert search(alice, server, node, q="hidden")["results"] == []


def test_a_rebuild_from_zero_gives_the_same_results(node: Node, people: dict[str, Person]) -> None:
    alice = people["alice"]
    server, general = make_server(alice)
    kept = post(alice, general, "kingfisher blue")
    edited = post(alice, general, "kingfisher green")
    deleted = post(alice, general, "kingfisher red")
    alice.patch(f"/api/v1/channels/{general}/messages/{edited}", {"content": "kingfisher teal"})
    alice.delete(f"/api/v1/channels/{general}/messages/{deleted}")
    before = search(alice, server, node, q="kingfisher")
    assert [h["message_id"] for h in before["results"]] == [edited, kept]
    spec = build_search(node.settings, node.storage.search).spec
    rebuilt = rebuild(node.store, node.storage.search, spec)
    assert rebuilt.generation == 2
    followed(node)
    assert search(alice, server, node, q="kingfisher") == before
    assert found(alice, server, node, "red") == []
