"""The key directory through the real app, on SQLite and on PostgreSQL: uploads and every
refusal, bundles that hand out each one-time prekey once, also under 50 concurrent fetches,
and identity key changes visible to a DM partner."""

from __future__ import annotations

import string
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from domain import base64url
from domain.identity_keys import IdentityKeyPublished, identity_keys_id
from domain.keys import verify_signed_prekey
from infra.bootstrap import Node
from tests.conftest import Person
from tests.integration.e2ee_support import Device, x25519_public


def upload(person: Person, body: dict[str, Any]) -> int:
    response = person.post("/api/v1/keys", body)
    assert response.status_code == 200, response.text
    held: int = response.json()["one_time_prekeys"]
    return held


def count(person: Person) -> int:
    response = person.get("/api/v1/keys/count")
    assert response.status_code == 200, response.text
    held: int = response.json()["one_time_prekeys"]
    return held


def bundle_of(person: Person, owner: Person) -> dict[str, Any]:
    response = person.get(f"/api/v1/users/{owner.id}/keys")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


def test_a_bundle_hands_out_one_one_time_prekey_and_verifies(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    device = Device()
    sent = device.upload(one_time=3, first_id=10)
    assert count(alice) == 0
    assert upload(alice, sent) == 3

    first, second = bundle_of(bob, alice), bundle_of(bob, alice)
    assert first["identity_key"] == device.identity_key
    assert first["signed_prekey"] == sent["signed_prekey"]
    assert first["one_time_prekey"] == sent["one_time_prekeys"][0]
    assert second["one_time_prekey"] == sent["one_time_prekeys"][1]
    assert count(alice) == 1
    signed = first["signed_prekey"]
    verify_signed_prekey(
        base64url.decode("identity_key", first["identity_key"]),
        signed["id"],
        base64url.decode("public_key", signed["public_key"]),
        base64url.decode("signature", signed["signature"]),
    )


def test_with_no_one_time_prekey_left_the_bundle_says_null(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    device = Device()
    upload(alice, device.upload(one_time=1))
    assert bundle_of(bob, alice)["one_time_prekey"] is not None
    empty = bundle_of(bob, alice)
    assert empty["one_time_prekey"] is None
    assert empty["identity_key"] == device.identity_key
    assert count(alice) == 0


def test_a_new_signed_prekey_replaces_the_old_and_keeps_one_time_prekeys(
    people: dict[str, Person],
) -> None:
    alice, bob = people["alice"], people["bob"]
    device = Device()
    upload(alice, device.upload(one_time=2))
    rotated = device.upload(prekey_id=2)
    assert upload(alice, rotated) == 2
    assert bundle_of(bob, alice)["signed_prekey"] == rotated["signed_prekey"]
    refill = device.upload(one_time=3, first_id=3)
    assert upload(alice, refill) == 4  # one was handed out, three added


def test_bundles_of_unknown_users_and_users_without_keys(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    for path in (f"/api/v1/users/{uuid.uuid4()}/keys", f"/api/v1/users/{bob.id}/keys"):
        response = alice.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert alice.get(f"/api/v1/users/{bob.id}/identity-key").status_code == 404


BASE64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def next_digit(digit: str) -> str:
    """The next base64url digit: the last digit of a 32-byte value has two zero trailing bits,
    so this spells the same bytes with a non-zero one."""
    return BASE64URL[BASE64URL.index(digit) + 1]


def refusals(device: Device) -> list[tuple[str, dict[str, Any], str]]:
    """(what, body, error code) for uploads the node must refuse."""
    good = device.upload(one_time=2)
    signed = good["signed_prekey"]
    other_signature = device.signed_prekey()["signature"]
    short_key = base64url.encode(bytes(31))
    key = good["identity_key"]

    def changed(**fields: Any) -> dict[str, Any]:
        return {**good, **fields}

    def spk(**fields: Any) -> dict[str, Any]:
        return changed(signed_prekey={**signed, **fields})

    too_many = [{"id": i, "public_key": x25519_public()} for i in range(101)]
    return [
        ("signature of another key", spk(signature=other_signature), "invalid_signature"),
        ("signature for another id", spk(id=signed["id"] + 1), "invalid_signature"),
        (
            "identity key of someone else",
            changed(identity_key=Device().identity_key),
            "invalid_signature",
        ),
        ("31-byte identity key", changed(identity_key=short_key), "invalid"),
        ("31-byte signed prekey", spk(public_key=short_key), "invalid"),
        ("63-byte signature", spk(signature=base64url.encode(bytes(63))), "invalid"),
        (
            "31-byte one-time prekey",
            changed(one_time_prekeys=[{"id": 1, "public_key": short_key}]),
            "invalid",
        ),
        ("padded base64url", changed(identity_key=key + "="), "invalid"),
        ("base64 alphabet", changed(identity_key="+" + key[1:]), "invalid"),
        ("non-zero trailing bits", changed(identity_key=key[:-1] + next_digit(key[-1])), "invalid"),
        ("101 one-time prekeys", changed(one_time_prekeys=too_many), "invalid"),
        ("repeated prekey id", changed(one_time_prekeys=[too_many[0], too_many[0]]), "invalid"),
        ("prekey id past uint32", spk(id=2**32), "invalid_request"),
        (
            "negative prekey id",
            changed(one_time_prekeys=[{"id": -1, "public_key": x25519_public()}]),
            "invalid_request",
        ),
        ("unknown field", changed(device_name="phone"), "invalid_request"),
        ("no signed prekey", {"identity_key": key}, "invalid_request"),
    ]


def test_every_bad_upload_is_refused_and_stores_nothing(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    device = Device()
    for what, body, code in refusals(device):
        response = alice.post("/api/v1/keys", body)
        assert response.status_code == 422, (what, response.text)
        assert response.json()["error"]["code"] == code, what
        assert response.json()["error"]["message"], what
    assert count(alice) == 0
    assert bob.get(f"/api/v1/users/{alice.id}/keys").status_code == 404


def test_keys_need_a_signed_in_user(client: TestClient, people: dict[str, Person]) -> None:
    alice = people["alice"]
    body = Device().upload(one_time=1)
    for response in (
        client.post("/api/v1/keys", json=body),
        client.get("/api/v1/keys/count"),
        client.get(f"/api/v1/users/{alice.id}/keys"),
        client.get(f"/api/v1/users/{alice.id}/identity-key"),
    ):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


def test_a_user_holds_at_most_a_thousand_one_time_prekeys(people: dict[str, Person]) -> None:
    alice = people["alice"]
    device = Device()
    for batch in range(10):
        assert upload(alice, device.upload(one_time=100, first_id=1 + 100 * batch)) == 100 * (
            batch + 1
        )
    response = alice.post("/api/v1/keys", device.upload(one_time=1, first_id=5000))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert count(alice) == 1000


def test_fifty_concurrent_fetches_never_share_a_one_time_prekey(
    people: dict[str, Person],
) -> None:
    alice, bob = people["alice"], people["bob"]
    sent = Device().upload(one_time=100)
    upload(alice, sent)
    start = threading.Barrier(50)

    def fetch(_: int) -> dict[str, Any]:
        start.wait()
        return bundle_of(bob, alice)

    with ThreadPoolExecutor(50) as pool:
        bundles = list(pool.map(fetch, range(50)))
    assert all(bundle["one_time_prekey"] is not None for bundle in bundles), "a fetch got none"
    handed_out = [bundle["one_time_prekey"]["id"] for bundle in bundles]
    assert len(set(handed_out)) == 50
    assert count(alice) == 50
    left = {prekey["id"] for prekey in sent["one_time_prekeys"]} - set(handed_out)
    remaining = [bundle_of(bob, alice)["one_time_prekey"]["id"] for _ in range(50)]
    assert set(remaining) == left
    assert bundle_of(bob, alice)["one_time_prekey"] is None


def test_an_identity_key_change_is_an_event_the_dm_partner_sees(
    node: Node, people: dict[str, Person]
) -> None:
    alice, bob = people["alice"], people["bob"]
    assert bob.post("/api/v1/dms", {"user_id": str(alice.id)}).status_code == 200
    first, second = Device(), Device()
    upload(alice, first.upload(one_time=3))
    seen = bob.get(f"/api/v1/users/{alice.id}/identity-key").json()
    assert (seen["identity_key"], seen["previous_identity_key"]) == (first.identity_key, None)

    assert upload(alice, first.upload(prekey_id=2)) == 3  # same key: nothing to announce
    assert upload(alice, second.upload(one_time=2, first_id=50)) == 2  # the old key's are gone
    changed = bob.get(f"/api/v1/users/{alice.id}/identity-key").json()
    assert changed["identity_key"] == second.identity_key
    assert changed["previous_identity_key"] == first.identity_key
    assert changed["published_hlc"] > seen["published_hlc"]
    assert bundle_of(bob, alice)["identity_key"] == second.identity_key

    stream = identity_keys_id(alice.id)
    published = [
        r.envelope.event for r in node.store.read(0, 1000) if r.envelope.aggregate_id == stream
    ]
    assert published == [
        IdentityKeyPublished(
            user_id=alice.id, identity_key=first.identity_key, previous_identity_key=None
        ),
        IdentityKeyPublished(
            user_id=alice.id,
            identity_key=second.identity_key,
            previous_identity_key=first.identity_key,
        ),
    ]
