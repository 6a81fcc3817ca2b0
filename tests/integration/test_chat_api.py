"""The chat API through the real app, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import Person
from tests.integration.e2ee_support import encrypted_message


def make_server(owner: Person, name: str = "Fireside") -> dict[str, str]:
    response = owner.post("/api/v1/servers", {"name": name})
    assert response.status_code == 201, response.text
    body: dict[str, str] = response.json()
    return body


def post(person: Person, channel: str, content: str, **extra: object) -> dict[str, object]:
    response = person.post(f"/api/v1/channels/{channel}/messages", {"content": content, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_health(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json() == {"status": "ok"}


def test_server_lifecycle_members_and_channels(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    server = make_server(alice)
    assert [s["id"] for s in alice.get("/api/v1/servers").json()] == [server["id"]]
    assert bob.get(f"/api/v1/servers/{server['id']}").status_code == 404
    assert bob.join(alice.invite(server["id"])).status_code == 201
    members = alice.get(f"/api/v1/servers/{server['id']}/members").json()
    assert {(m["username"], m["role"]) for m in members} == {("alice", "owner"), ("bob", "member")}
    channels = bob.get(f"/api/v1/servers/{server['id']}/channels").json()
    assert [c["name"] for c in channels] == ["general"]
    assert bob.post(f"/api/v1/servers/{server['id']}/channels", {"name": "x"}).status_code == 403
    staff = alice.post(
        f"/api/v1/servers/{server['id']}/channels", {"name": "staff", "kind": "private"}
    ).json()
    assert [c["name"] for c in bob.get(f"/api/v1/servers/{server['id']}/channels").json()] == [
        "general"
    ]
    assert bob.get(f"/api/v1/channels/{staff['id']}").status_code == 404
    renamed = alice.patch(
        f"/api/v1/channels/{staff['id']}", {"name": "mods", "topic": "hush"}
    ).json()
    assert (renamed["name"], renamed["topic"]) == ("mods", "hush")
    assert alice.delete(f"/api/v1/channels/{staff['id']}").status_code == 204
    assert alice.get(f"/api/v1/channels/{staff['id']}").status_code == 404
    assert bob.delete(f"/api/v1/servers/{server['id']}/members/{bob.id}").status_code == 204
    assert bob.get(f"/api/v1/servers/{server['id']}").status_code == 404


def test_messages_edit_history_delete_and_replies(people: dict[str, Person]) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    server = make_server(alice)
    general = server["general_channel_id"]
    bob.join(alice.invite(server["id"]))
    first = post(alice, general, "hello **world**")
    reply = post(bob, general, "hi!", reply_to=first["id"])
    assert reply["reply_to"] == first["id"]
    assert (
        bob.patch(
            f"/api/v1/channels/{general}/messages/{first['id']}", {"content": "x"}
        ).status_code
        == 403
    )
    edited = alice.patch(
        f"/api/v1/channels/{general}/messages/{first['id']}", {"content": "hello all"}
    ).json()
    assert edited["content"] == "hello all" and edited["edited_hlc"]
    history = bob.get(f"/api/v1/channels/{general}/messages/{first['id']}/history").json()
    assert [v["content"] for v in history] == ["hello **world**", "hello all"]
    assert carol.get(f"/api/v1/channels/{general}/messages").status_code == 404
    assert alice.delete(f"/api/v1/channels/{general}/messages/{reply['id']}").status_code == 204
    page = bob.get(f"/api/v1/channels/{general}/messages").json()
    assert [(m["content"], m["deleted"]) for m in page] == [("hello all", False), (None, True)]
    assert bob.get(f"/api/v1/channels/{general}/messages/{reply['id']}/history").json() == []


def test_cursor_pagination_in_hlc_order(people: dict[str, Person]) -> None:
    alice = people["alice"]
    general = make_server(alice)["general_channel_id"]
    ids = [post(alice, general, f"m{i}")["id"] for i in range(7)]
    newest = alice.get(f"/api/v1/channels/{general}/messages?limit=3").json()
    assert [m["id"] for m in newest] == ids[4:]
    older = alice.get(f"/api/v1/channels/{general}/messages?limit=3&before={ids[4]}").json()
    assert [m["id"] for m in older] == ids[1:4]
    after = alice.get(f"/api/v1/channels/{general}/messages?limit=2&after={ids[1]}").json()
    assert [m["id"] for m in after] == ids[2:4]
    hlcs = [m["hlc"] for m in alice.get(f"/api/v1/channels/{general}/messages?limit=100").json()]
    assert hlcs == sorted(hlcs)
    assert alice.get(f"/api/v1/channels/{general}/messages?limit=101").status_code == 422
    bad = alice.get(f"/api/v1/channels/{general}/messages?before={uuid.uuid4()}")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"


def test_dm_is_one_channel_for_the_pair(people: dict[str, Person]) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    first = alice.post("/api/v1/dms", {"user_id": str(bob.id)}).json()
    again = bob.post("/api/v1/dms", {"user_id": str(alice.id)}).json()
    assert first["id"] == again["id"] and first["kind"] == "dm"
    sealed = bob.post(f"/api/v1/channels/{first['id']}/messages", encrypted_message())
    assert sealed.status_code == 201, sealed.text
    assert carol.get(f"/api/v1/channels/{first['id']}/messages").status_code == 404
    assert alice.post("/api/v1/dms", {"user_id": str(uuid.uuid4())}).status_code == 404


def test_a_user_lists_their_dms_and_reads_public_profiles(people: dict[str, Person]) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    assert alice.get("/api/v1/users/me/dms").json() == []
    with_bob = alice.post("/api/v1/dms", {"user_id": str(bob.id)}).json()
    with_carol = carol.post("/api/v1/dms", {"user_id": str(alice.id)}).json()
    make_server(alice)  # server channels are not DMs
    listed = alice.get("/api/v1/users/me/dms").json()
    assert [c["id"] for c in listed] == [with_bob["id"], with_carol["id"]]
    assert all(c["kind"] == "dm" and str(alice.id) in c["dm_members"] for c in listed)
    assert [c["id"] for c in bob.get("/api/v1/users/me/dms").json()] == [with_bob["id"]]

    # Carol shares no server with Bob, yet may read his public profile (a DM partner's name).
    profile = carol.get(f"/api/v1/users/{bob.id}")
    assert profile.status_code == 200, profile.text
    assert profile.json() == {"id": str(bob.id), "username": "bob", "display_name": "bob"}
    missing = carol.get(f"/api/v1/users/{uuid.uuid4()}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"content": ""}, "invalid"),
        ({"content": "   "}, "invalid"),
        ({"content": "x" * 4001}, "invalid"),
        ({"content": "bad\u0000"}, "invalid"),
        ({"content": "hi", "surprise": 1}, "invalid_request"),
        ({}, "invalid_request"),
        ({"content": "hi", "ttl_seconds": 0}, "invalid_request"),
    ],
)
def test_bad_input_gets_the_json_error_body(
    people: dict[str, Person], body: dict[str, object], code: str
) -> None:
    alice = people["alice"]
    general = make_server(alice)["general_channel_id"]
    response = alice.post(f"/api/v1/channels/{general}/messages", body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert alice.get(f"/api/v1/channels/{general}/messages").json() == []


def test_unknown_ids_and_missing_auth(people: dict[str, Person], client) -> None:  # type: ignore[no-untyped-def]
    alice = people["alice"]
    assert alice.get(f"/api/v1/servers/{uuid.uuid4()}").json()["error"]["code"] == "not_found"
    assert (
        alice.post(f"/api/v1/channels/{uuid.uuid4()}/messages", {"content": "x"}).status_code == 404
    )
    assert alice.get("/api/v1/servers/not-a-uuid").status_code == 422
    unauthenticated = client.get("/api/v1/servers")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "unauthenticated"


def test_malformed_json_and_partial_channel_update(people: dict[str, Person]) -> None:
    alice = people["alice"]
    server = make_server(alice)
    response = alice.client.post(
        "/api/v1/servers",
        content=b"{not json",
        headers={**alice.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"
    channel = alice.post(
        f"/api/v1/servers/{server['id']}/channels", {"name": "news", "topic": "daily"}
    ).json()
    renamed = alice.patch(f"/api/v1/channels/{channel['id']}", {"name": "updates"}).json()
    assert (renamed["name"], renamed["topic"]) == ("updates", "daily")
