"""Encrypted DMs through the real app: a DM takes ciphertext only, a server channel plaintext
only, and deleting an encrypted message leaves none of its bytes behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.base64url import encode
from domain.message import MAX_CIPHERTEXT_BYTES
from infra.bootstrap import Node
from tests.conftest import Person
from tests.integration.e2ee_support import encrypted_message
from tests.integration.test_deletion_scan import holders, stored_files, wait_followed

VIEW_FIELDS = ("ciphertext", "header", "initial")


def open_dm(alice: Person, bob: Person) -> str:
    response = alice.post("/api/v1/dms", {"user_id": str(bob.id)})
    assert response.status_code == 200, response.text
    channel: str = response.json()["id"]
    return channel


def post(person: Person, channel: str, body: dict[str, Any]) -> dict[str, Any]:
    response = person.post(f"/api/v1/channels/{channel}/messages", body)
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()
    return message


def served(message: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(message[name] for name in ("content", *VIEW_FIELDS))


def sent(body: dict[str, Any]) -> tuple[Any, ...]:
    return (None, *(body[name] for name in VIEW_FIELDS))


def test_a_dm_refuses_plaintext(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    dm = open_dm(alice, bob)
    response = alice.post(f"/api/v1/channels/{dm}/messages", {"content": "in the clear"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    assert bob.get(f"/api/v1/channels/{dm}/messages").json() == []


def test_a_dm_carries_ciphertext_both_ways_and_edits_stay_encrypted(
    people: dict[str, Person],
) -> None:
    alice, bob = people["alice"], people["bob"]
    dm = open_dm(alice, bob)
    first = encrypted_message()
    posted = post(alice, dm, first)
    assert served(posted) == sent(first)
    reply = encrypted_message(initial=False)
    answer = post(bob, dm, {**reply, "reply_to": posted["id"]})
    assert answer["reply_to"] == posted["id"] and answer["initial"] is None

    page = alice.get(f"/api/v1/channels/{dm}/messages").json()
    assert [served(m) for m in page] == [sent(first), sent(reply)]

    path = f"/api/v1/channels/{dm}/messages/{posted['id']}"
    refused = alice.patch(path, {"content": "now readable"})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid"
    second = encrypted_message(initial=False)
    edited = alice.patch(path, second).json()
    assert served(edited) == sent(second) and edited["edited_hlc"]
    history = bob.get(f"{path}/history").json()
    assert [(v["version"], *served(v)) for v in history] == [
        (1, *sent(first)),
        (2, *sent(second)),
    ]


def test_a_server_channel_refuses_ciphertext(people: dict[str, Person]) -> None:
    alice = people["alice"]
    general = alice.post("/api/v1/servers", {"name": "S"}).json()["general_channel_id"]
    response = alice.post(f"/api/v1/channels/{general}/messages", encrypted_message())
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
    posted = post(alice, general, {"content": "hello"})
    assert served(posted) == ("hello", None, None, None)


def malformed(good: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """(what, body, error code) for encrypted messages the node must refuse."""
    too_big = encode(bytes(MAX_CIPHERTEXT_BYTES + 1))
    initial = good["initial"]
    return [
        ("content and ciphertext", {**good, "content": "both"}, "invalid_request"),
        ("ciphertext without header", {"ciphertext": good["ciphertext"]}, "invalid_request"),
        ("initial alone", {"initial": initial}, "invalid_request"),
        ("format version 2", {**good, "version": 2}, "invalid_request"),
        ("unknown initial field", {**good, "initial": {**initial, "x": 1}}, "invalid_request"),
        ("40-byte header", {**good, "header": encode(bytes(40))}, "invalid"),
        ("15-byte ciphertext", {**good, "ciphertext": "A" * 20}, "invalid"),
        ("ciphertext over 64 KiB", {**good, "ciphertext": too_big}, "invalid"),
        ("padded ciphertext", {**good, "ciphertext": good["ciphertext"] + "="}, "invalid"),
        (
            "31-byte identity key",
            {**good, "initial": {**initial, "identity_key": "A" * 42}},
            "invalid",
        ),
    ]


def test_malformed_encrypted_messages_are_refused(people: dict[str, Person]) -> None:
    alice, bob = people["alice"], people["bob"]
    dm = open_dm(alice, bob)
    for what, body, code in malformed(encrypted_message()):
        response = alice.post(f"/api/v1/channels/{dm}/messages", body)
        assert response.status_code == 422, (what, response.text)
        assert response.json()["error"]["code"] == code, what
    assert bob.get(f"/api/v1/channels/{dm}/messages").json() == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_deleting_an_encrypted_message_leaves_no_byte_behind(
    node: Node, people: dict[str, Person], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    alice, bob = people["alice"], people["bob"]
    dm = open_dm(alice, bob)
    first, second = encrypted_message(), encrypted_message(initial=False)
    message = post(alice, dm, first)
    path = f"/api/v1/channels/{dm}/messages/{message['id']}"
    assert alice.patch(path, second).status_code == 200
    wait_followed(node)
    needles = [
        first["ciphertext"],
        first["header"],
        first["initial"]["ephemeral_key"],
        second["ciphertext"],
        second["header"],
    ]
    files = stored_files(node, request, tmp_path)
    assert all(holders(files, needle.encode()) for needle in needles), "scan finds live data"

    assert bob.delete(path).status_code == 403
    assert alice.delete(path).status_code == 204
    wait_followed(node)
    files = stored_files(node, request, tmp_path)
    left = [needle for needle in needles if holders(files, needle.encode())]
    assert left == [], "bytes of a deleted message are still stored"
    [tombstone] = bob.get(f"/api/v1/channels/{dm}/messages").json()
    assert (tombstone["deleted"], served(tombstone)) == (True, (None, None, None, None))
    assert bob.get(f"{path}/history").json() == []
