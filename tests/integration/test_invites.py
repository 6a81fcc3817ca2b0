"""Joining servers with invite codes: limits, expiry, revocation and refusals."""

from __future__ import annotations

import threading
import time
import uuid

from domain import aggregates as ag
from domain.invite import InviteCreated, invite_id
from infra.bootstrap import Node
from tests.conftest import Person


def server_of(owner: Person) -> str:
    server_id: str = owner.post("/api/v1/servers", {"name": "S"}).json()["id"]
    return server_id


def test_invite_preview_join_and_member_list(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    server = server_of(alice)
    code = alice.invite(server)
    preview = bob.get(f"/api/v1/invites/{code}").json()
    assert (preview["server_id"], preview["server_name"], preview["uses"]) == (server, "S", 0)
    assert preview["expires_at_ms"] > time.time() * 1000
    joined = bob.join(code)
    assert joined.status_code == 201 and joined.json()["id"] == server
    assert bob.join(code).json()["error"]["code"] == "already_exists"
    members = {m["username"] for m in alice.get(f"/api/v1/servers/{server}/members").json()}
    assert members == {"alice", "bob"}


def test_members_invite_and_strangers_cannot(people: dict[str, Person]) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    server = server_of(alice)
    bob.join(alice.invite(server))
    carol.join(bob.invite(server))
    assert carol.get(f"/api/v1/servers/{server}").status_code == 200
    stranger = people["carol"].post(f"/api/v1/servers/{uuid.uuid4()}/invites", {})
    assert stranger.status_code == 404


def test_max_uses_holds_under_concurrent_joins(client, node: Node) -> None:  # type: ignore[no-untyped-def]
    owner = Person(client, "owner")
    server = server_of(owner)
    code = owner.invite(server, max_uses=3)
    joiners = [Person(client, f"joiner{i}") for i in range(8)]
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda p=p: results.append(p.join(code).status_code))
        for p in joiners
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201, 201, 201, 404, 404, 404, 404, 404]
    assert node.store.load(ag.INVITE, invite_id(code)).state.uses == 3  # type: ignore[union-attr]


def test_revoked_expired_and_malformed_codes_are_refused(
    people: dict[str, Person], node: Node
) -> None:
    alice, bob = people["alice"], people["bob"]
    server = server_of(alice)
    code = alice.invite(server)
    assert bob.delete(f"/api/v1/servers/{server}/invites/{code}").status_code == 404
    assert alice.delete(f"/api/v1/servers/{server}/invites/{code}").status_code == 204
    assert bob.join(code).status_code == 404
    [created] = [r for r in node.store.read(0, 100) if isinstance(r.envelope.event, InviteCreated)]
    assert node.shredder.wait_until(node.store.last_position())
    assert node.store.load(ag.INVITE, invite_id(code)).state.revoked  # type: ignore[union-attr]
    shredded = next(r for r in node.store.read(0, 100) if r.position == created.position)
    assert shredded.envelope.event.code is None  # type: ignore[attr-defined]
    assert bob.get("/api/v1/invites/short").status_code == 422
    assert bob.join("!!!!!!!!!!").json()["error"]["code"] == "not_found"
    assert bob.join("abcdefghij").status_code == 404
    too_short = alice.post(f"/api/v1/servers/{server}/invites", {"max_age_seconds": 5})
    assert too_short.status_code == 422
