"""The published JSON Schemas (docs/protocol/schemas) checked against the code they describe.

Generated event schemas must match the pydantic models; real events and real API
responses must validate against the committed files; the hand-written schemas'
examples must validate; and docs/protocol/events.md must list every event with its
class_version and sealed fields as the code declares them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource

from domain import account, channel, file, identity_keys, invite, membership, message, server, user
from domain import aggregates as ag
from domain.account import RevocationReason, SecondFactor
from domain.base64url import encode
from domain.channel import ChannelCreated, ChannelKind
from domain.events import Event
from domain.ids import dm_channel_id, membership_id
from domain.membership import Role
from infra.bootstrap import Node, build_node
from infra.eventstore.codec import upcast
from infra.protocol_schemas import (
    SCHEMAS_DIR,
    event_schema_path,
    generated_schemas,
    load_catalogue,
    render,
)
from infra.settings import load_settings
from infra.web import create_app
from projections.chat_models import MessageView

PROTOCOL_DIR = SCHEMAS_DIR.parent
HAND_WRITTEN = (
    "envelope.json",
    "error.json",
    "privacy-manifest.json",
    "well-known-federation.json",
)
REGENERATE = "run `python -m infra.protocol_schemas` and commit the result"


def load(relative: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMAS_DIR / relative).read_text(encoding="utf-8"))
    return schema


def validator(relative: str) -> Draft202012Validator:
    """A validator for a committed schema that resolves references to the other schemas."""
    registry: Registry[Any] = Registry().with_resources(
        (load(name)["$id"], Resource.from_contents(load(name))) for name in HAND_WRITTEN
    )
    return Draft202012Validator(load(relative), registry=registry, format_checker=FormatChecker())


def errors_of(relative: str, instance: object) -> list[str]:
    return [error.message for error in validator(relative).iter_errors(instance)]


# the committed generated schemas are what the models produce now


def test_committed_event_schemas_match_the_models() -> None:
    stale = [
        relative
        for relative, schema in generated_schemas().items()
        if not (SCHEMAS_DIR / relative).is_file()
        or (SCHEMAS_DIR / relative).read_text(encoding="utf-8") != render(schema)
    ]
    assert not stale, f"schemas out of date with the event models: {stale}; {REGENERATE}"


def test_no_event_schema_without_a_model() -> None:
    committed = {
        p.relative_to(SCHEMAS_DIR).as_posix() for p in (SCHEMAS_DIR / "events").glob("*.json")
    }
    orphans = sorted(committed - set(generated_schemas()))
    assert not orphans, f"event schemas with no event class: {orphans}; {REGENERATE}"


def test_generated_schemas_are_valid_draft_2020_12() -> None:
    for relative in generated_schemas():
        Draft202012Validator.check_schema(load(relative))


# real events, made by the domain's own decisions, validate against their schemas


def every_kind_of_event() -> list[Event]:
    """One run through the domain touching every event type, as the write side produces them."""
    alice, bob = uuid.uuid4(), uuid.uuid4()
    server_id, general_id, mods_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    owner_id, bob_member_id = membership_id(server_id, alice), membership_id(server_id, bob)
    first_id, reply_id = uuid.uuid4(), uuid.uuid4()
    now = 1_795_668_136_350

    alice_log = user.register(None, "alice", "Alice")
    alice_log += user.update_profile(ag.USER.replay(alice, alice_log), "Alice A.")

    owner_log = membership.join(None, server_id, alice, Role.OWNER)
    owner = ag.MEMBERSHIP.replay(owner_id, owner_log)
    server_log = server.create(None, "Hearth", alice, general_id)
    server_log += server.rename(ag.SERVER.replay(server_id, server_log), owner, "Hearth HQ")
    general_log = channel.general(server_id)
    general = ag.CHANNEL.replay(general_id, general_log)

    bob_log = membership.join(None, server_id, bob, Role.MEMBER)
    bob_log += membership.change_role(
        ag.MEMBERSHIP.replay(bob_member_id, bob_log), owner, Role.MODERATOR
    )
    bob_member = ag.MEMBERSHIP.replay(bob_member_id, bob_log)

    mods_log = channel.create(None, owner, server_id, "mods", ChannelKind.PRIVATE, "staff only")
    mods_log += channel.update(ag.CHANNEL.replay(mods_id, mods_log), owner, "mods", "moderators")
    mods_log += channel.delete(ag.CHANNEL.replay(mods_id, mods_log), owner)
    dm_log = channel.open_dm(None, alice, bob)
    dm = ag.CHANNEL.replay(dm_channel_id(alice, bob), dm_log)
    initial = message.InitialMessage(
        identity_key=encode(bytes(32)),
        ephemeral_key=encode(bytes(32)),
        signed_prekey_id=1,
        one_time_prekey_id=None,
    )
    sealed = message.EncryptedBody(
        ciphertext=encode(bytes(24)), header=encode(bytes(41)), initial=initial
    )
    dm_log += message.post(None, dm, alice, None, sealed, None, None, now)

    keys_id = identity_keys.identity_keys_id(alice)
    keys_log = identity_keys.publish_identity_key(None, alice, encode(bytes(32)))
    keys_log += identity_keys.publish_identity_key(
        identity_keys.IDENTITY_KEYS.replay(keys_id, keys_log), alice, encode(b"\x01" * 32)
    )

    first_log = message.post(None, general, alice, owner, "hello", None, None, now)
    first = ag.MESSAGE.replay(first_id, first_log)
    reply_log = message.post(None, general, bob, bob_member, "hi", first, first_id, now, 60)
    first_log += message.edit(first, alice, "hello, edited")
    first_log += message.delete(ag.MESSAGE.replay(first_id, first_log), bob, bob_member)
    reply_log += message.expire(ag.MESSAGE.replay(reply_id, reply_log), now + 61_000)

    account_id = account.account_id(alice)
    account_log = account.change_password(None, alice)
    account_log += account.enable_second_factor(None, alice, SecondFactor.TOTP)
    totp_on = account.ACCOUNT.replay(account_id, account_log)
    account_log += account.disable_second_factor(totp_on, alice, SecondFactor.TOTP)
    account_log += account.revoke_sessions(totp_on, alice, [uuid.uuid4()], RevocationReason.LOGOUT)
    account_log += account.regenerate_recovery_codes(totp_on, alice)

    code = invite.new_code()
    invite_log = invite.create(owner, server_id, code, now, 5, 3600)
    invite_state = ag.INVITE.replay(invite.invite_id(code), invite_log)
    invite_log += invite.use(invite.require_usable(invite_state, now), bob)
    invite_log += invite.revoke(ag.INVITE.replay(invite.invite_id(code), invite_log), owner)

    file_id = "0" * 64
    file_log = file.upload(None, file_id, alice, "plan.pdf", 1234, "application/pdf", False, now)
    attached_log = message.post(
        None, general, alice, owner, "see", None, None, now, attachments=(file_id,)
    )
    file_log += file.delete(file.FILE.replay(file.file_aggregate_id(file_id, alice), file_log))

    bob_log += membership.leave(bob_member, owner)
    alice_log += user.delete(ag.USER.replay(alice, alice_log))
    return [
        *alice_log,
        *account_log,
        *keys_log,
        *owner_log,
        *server_log,
        *general_log,
        *bob_log,
        *mods_log,
        *dm_log,
        *first_log,
        *reply_log,
        *invite_log,
        *file_log,
        *attached_log,
    ]


def test_the_sample_covers_the_whole_catalogue() -> None:
    produced = {type(event).type_name() for event in every_kind_of_event()}
    assert produced == {t.type_name() for t in load_catalogue().types()}


@pytest.mark.parametrize("event", every_kind_of_event(), ids=lambda e: type(e).type_name())
def test_domain_events_validate_against_their_schema(event: Event) -> None:
    payload = event.model_dump(mode="json")
    assert errors_of(event_schema_path(type(event)), payload) == []


def test_a_schema_refuses_fields_the_event_does_not_have() -> None:
    posted = next(e for e in every_kind_of_event() if type(e).type_name() == "MessagePosted")
    payload = {**posted.model_dump(mode="json"), "ip_address": "192.0.2.1"}
    assert errors_of(event_schema_path(type(posted)), payload) != []
    del payload["ip_address"], payload["channel_id"]
    assert errors_of(event_schema_path(type(posted)), payload) != []


def test_a_version_1_channel_created_validates_once_upcast() -> None:
    stored_v1 = {"server_id": str(uuid.uuid4()), "name": "staff", "topic": "", "private": True}
    schema = event_schema_path(ChannelCreated)
    assert errors_of(schema, stored_v1) != []
    upgraded = upcast(ChannelCreated, 1, stored_v1)
    assert errors_of(schema, json.loads(json.dumps(upgraded))) == []
    assert ChannelCreated.model_validate(upgraded).kind is ChannelKind.PRIVATE


# every registered event has a schema and is catalogued in events.md


def events_md_table() -> dict[str, tuple[int, set[str]]]:
    """Rows of the summary table in events.md: name -> (class_version, sealed fields)."""
    text = (PROTOCOL_DIR / "events.md").read_text(encoding="utf-8")
    row = re.compile(r"^\| \[`(\w+)`\]\(#\w+\) \| \w+ \| (\d+) \| (.+?) \|$", re.MULTILINE)
    return {m[1]: (int(m[2]), set(re.findall(r"`(\w+)`", m[3]))) for m in row.finditer(text)}


def test_every_event_has_a_schema_and_an_entry_in_events_md() -> None:
    table = events_md_table()
    text = (PROTOCOL_DIR / "events.md").read_text(encoding="utf-8")
    for event_type in load_catalogue().types():
        name = event_type.type_name()
        assert (SCHEMAS_DIR / event_schema_path(event_type)).is_file(), f"no schema for {name}"
        assert f"\n### {name}\n" in text, f"events.md has no section for {name}"
        assert table.get(name) == (event_type.class_version, set(event_type.sealed_fields)), (
            f"events.md summary row for {name} disagrees with the code"
        )
    assert set(table) == {t.type_name() for t in load_catalogue().types()}


# the hand-written schemas are valid and so are their examples


@pytest.mark.parametrize("relative", HAND_WRITTEN)
def test_hand_written_schema_examples_validate(relative: str) -> None:
    schema = load(relative)
    Draft202012Validator.check_schema(schema)
    assert schema["examples"], f"{relative} has no examples"
    for example in schema["examples"]:
        assert errors_of(relative, example) == []


def test_discovery_document_refuses_a_manifest_that_breaks_its_schema() -> None:
    document = load("well-known-federation.json")["examples"][0]
    manifest = {
        **document["privacy_manifest"],
        "logging": {"ip_addresses": "retained", "user_agents": "none"},
    }
    assert errors_of("well-known-federation.json", {**document, "privacy_manifest": manifest}) != []


def test_message_envelope_schema_names_exactly_the_served_fields() -> None:
    schema = load("envelope.json")
    assert set(schema["properties"]) == set(MessageView.model_fields)
    assert set(schema["required"]) == set(MessageView.model_fields)


# what the running app sends validates against the schemas


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    built = build_node(load_settings({"HEARTH_DATA_DIR": str(tmp_path / "data")}))
    try:
        yield built
    finally:
        built.close()


def register(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/register", json={"username": username, "password": "a long passphrase 42"}
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert errors_of("error.json", response.json()) == []
    assert response.json()["error"]["code"] == code


def test_app_error_bodies_validate(node: Node) -> None:
    client = TestClient(create_app(node))
    alice = register(client, "alice")
    channel_path = f"/api/v1/channels/{uuid.uuid4()}"
    assert_error(client.get("/api/v1/servers"), 401, "unauthenticated")
    assert_error(
        client.get("/api/v1/servers", headers={"Authorization": "Bearer x"}), 401, "invalid_token"
    )
    assert_error(client.get(channel_path, headers=alice), 404, "not_found")
    assert_error(client.get("/api/v1/no-such-route", headers=alice), 404, "not_found")
    assert_error(client.put("/api/v1/servers", headers=alice), 405, "method_not_allowed")
    assert_error(
        client.post("/api/v1/servers", json={"name": "x", "owner": 1}, headers=alice),
        422,
        "invalid_request",
    )
    assert_error(client.post("/api/v1/servers", json={"name": " "}, headers=alice), 422, "invalid")
    assert_error(
        client.post(
            "/api/v1/auth/register", json={"username": "alice", "password": "a long passphrase 42"}
        ),
        409,
        "already_exists",
    )
    assert_error(
        client.post("/api/v1/auth/login", json={"username": "alice", "password": "wrong password"}),
        401,
        "invalid_credentials",
    )


def served_messages(client: TestClient, headers: dict[str, str], channel_id: str) -> list[Any]:
    response = client.get(f"/api/v1/channels/{channel_id}/messages", headers=headers)
    assert response.status_code == 200, response.text
    messages: list[Any] = response.json()
    return messages


def validate_log(node: Node) -> Sequence[str]:
    """Every event in the node's log, decoded as followers see it, checked against its schema."""
    checked: list[str] = []
    for recorded in node.store.read(0, 10_000):
        event = recorded.envelope.event
        assert errors_of(event_schema_path(type(event)), event.model_dump(mode="json")) == []
        checked.append(type(event).type_name())
    return checked


def test_served_messages_and_logged_events_validate(node: Node) -> None:
    client = TestClient(create_app(node))
    alice = register(client, "alice")
    created = client.post("/api/v1/servers", json={"name": "Hearth"}, headers=alice).json()
    general = created["general_channel_id"]
    posts = f"/api/v1/channels/{general}/messages"
    first = client.post(posts, json={"content": "hello"}, headers=alice).json()
    reply = {"content": "brief", "reply_to": first["id"], "ttl_seconds": 60}
    assert client.post(posts, json=reply, headers=alice).status_code == 201
    assert (
        client.patch(
            f"{posts}/{first['id']}", json={"content": "hello again"}, headers=alice
        ).status_code
        == 200
    )
    assert client.delete(f"{posts}/{first['id']}", headers=alice).status_code == 204

    page = served_messages(client, alice, general)
    assert [m["deleted"] for m in page] == [True, False]
    for served in page:
        assert errors_of("envelope.json", served) == []

    assert node.shredder.wait_until(node.store.last_position())
    types = validate_log(node)
    assert {"UserRegistered", "MessagePosted", "MessageEdited", "MessageDeleted"} <= set(types)
    history = [r.envelope for r in node.store.read(0, 10_000)]
    first_events = [e.event for e in history if e.aggregate_id == uuid.UUID(first["id"])]
    assert [e.type_name() for e in first_events] == [
        "MessagePosted",
        "MessageEdited",
        "MessageDeleted",
    ]
    assert [e.model_dump().get("content") for e in first_events[:2]] == [None, None]
