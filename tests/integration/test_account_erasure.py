"""Deleting an account also forgets what the node keeps outside the log for that user:
published keys and read markers."""

from __future__ import annotations

from infra.bootstrap import Node
from tests.conftest import Person
from tests.integration.e2ee_support import Device


def rows(node: Node, table: str, user: str) -> int:
    with node.storage.accounts.read() as cursor:
        cursor.execute(f"SELECT COUNT(*) AS n FROM {table} WHERE user_id = ?", (user,))
        return int(cursor.fetchone()["n"])


def test_deleting_an_account_erases_keys_and_read_markers(
    node: Node, people: dict[str, Person]
) -> None:
    alice, bob = people["alice"], people["bob"]
    server = bob.post("/api/v1/servers", {"name": "S"}).json()
    alice.join(bob.invite(server["id"]))
    general = server["general_channel_id"]
    message = bob.post(f"/api/v1/channels/{general}/messages", {"content": "hi"}).json()
    alice.client.put(
        f"/api/v1/channels/{general}/read",
        json={"message_id": message["id"]},
        headers=alice.headers,
    )
    assert alice.post("/api/v1/keys", Device().upload(one_time=5)).status_code < 300
    me = str(alice.id)
    assert rows(node, "key_directory_identities", me) == 1
    assert rows(node, "read_markers", me) == 1

    deleted = alice.client.request(
        "DELETE",
        "/api/v1/users/me",
        json={"password": "a long passphrase 42"},
        headers=alice.headers,
    )
    assert deleted.status_code == 204, deleted.text
    assert node.shredder.wait_until(node.store.last_position())
    for table in ("key_directory_identities", "key_directory_one_time_prekeys", "read_markers"):
        assert rows(node, table, me) == 0, table
    assert bob.get(f"/api/v1/users/{me}/keys").status_code == 404
