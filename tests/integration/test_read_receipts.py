"""Read markers for everyone; read receipts only between people who opted in."""

from __future__ import annotations

from tests.conftest import Person


def test_markers_move_forward_and_receipts_need_both_sides(people: dict[str, Person]) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    server = alice.post("/api/v1/servers", {"name": "S"}).json()
    general = server["general_channel_id"]
    bob.join(alice.invite(server["id"]))
    first, second = (
        alice.post(f"/api/v1/channels/{general}/messages", {"content": text}).json()
        for text in ("one", "two")
    )
    assert (
        bob.client.put(
            f"/api/v1/channels/{general}/read",
            json={"message_id": second["id"]},
            headers=bob.headers,
        ).status_code
        == 204
    )
    bob.client.put(
        f"/api/v1/channels/{general}/read", json={"message_id": first["id"]}, headers=bob.headers
    )
    [marker] = bob.get("/api/v1/users/me/read-markers").json()
    assert marker["message_id"] == second["id"]

    assert alice.get(f"/api/v1/channels/{general}/receipts").json() == []
    put = alice.client.put(
        "/api/v1/users/me/read-receipts", json={"read_receipts": True}, headers=alice.headers
    )
    assert put.json() == {"read_receipts": True}
    assert alice.get(f"/api/v1/channels/{general}/receipts").json() == []  # bob has not opted in
    bob.client.put(
        "/api/v1/users/me/read-receipts", json={"read_receipts": True}, headers=bob.headers
    )
    [receipt] = alice.get(f"/api/v1/channels/{general}/receipts").json()
    assert (receipt["user_id"], receipt["message_id"]) == (str(bob.id), second["id"])

    outsider = carol.client.put(
        f"/api/v1/channels/{general}/read", json={"message_id": first["id"]}, headers=carol.headers
    )
    assert outsider.status_code == 404
    assert carol.get(f"/api/v1/channels/{general}/receipts").status_code == 404
