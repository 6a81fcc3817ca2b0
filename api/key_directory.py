"""Key directory use cases: publish a user's X3DH keys, hand out bundles, count what is left.

docs/protocol/e2ee.md, "Key upload and bundle". The prekeys live in a store of their own (a
port, below); the identity key is also recorded in the log (``domain.identity_keys``), so a
change of it reaches the user's DM partners.

An upload appends the event first and writes the store second. If the node stops in between,
the log already announces the new key while the store still serves the old bundle, which is
consistent in itself (the old signed prekey is signed by the old key); the client's retry
finds the key recorded, appends nothing and completes the store. The other order could serve
a new identity key that no partner was told about.
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from api.ports import EventLog
from domain import aggregates as ag
from domain import identity_keys, keys, user
from domain.aggregates import Change
from domain.errors import NotFound
from domain.events import Recorded
from domain.keys import Bundle, KeyUpload


class KeyDirectoryStore(Protocol):
    def publish(self, user_id: UUID, upload: KeyUpload) -> int:
        """Store a checked upload and answer how many one-time prekeys the user now holds.

        The signed prekey replaces the previous one; one-time prekeys are added, an id already
        held taking the new key. When the identity key differs from the stored one, every
        one-time prekey held is dropped first: they belong to the replaced identity.
        Raises ``InvalidCommand`` (storing nothing) past ``keys.MAX_HELD_ONE_TIME_PREKEYS``.
        """
        ...

    def take_bundle(self, user_id: UUID) -> Bundle | None:
        """The user's bundle with one one-time prekey, deleted in the same transaction, so no
        two callers ever get the same one; None if the user published no keys."""
        ...

    def one_time_prekey_count(self, user_id: UUID) -> int: ...


class KeyDirectory:
    def __init__(self, log: EventLog, store: KeyDirectoryStore) -> None:
        self.log = log
        self.store = store

    def publish(self, user_id: UUID, upload: KeyUpload) -> tuple[int, Recorded | None]:
        """Check and store an upload; the ``IdentityKeyPublished`` it caused, if any."""
        keys.check_upload(upload)
        recorded = self._record_identity_key(user_id, upload.identity_key)
        return self.store.publish(user_id, upload), recorded

    def bundle(self, user_id: UUID) -> Bundle:
        """A bundle of a live user, consuming one of their one-time prekeys if any is left."""
        user.require_live(self.log.load(ag.USER, user_id).state)
        bundle = self.store.take_bundle(user_id)
        if bundle is None:
            raise NotFound("this user has published no keys")
        return bundle

    def one_time_prekey_count(self, user_id: UUID) -> int:
        return self.store.one_time_prekey_count(user_id)

    def _record_identity_key(self, user_id: UUID, identity_key: str) -> Recorded | None:
        stream = identity_keys.identity_keys_id(user_id)
        loaded = self.log.load(identity_keys.IDENTITY_KEYS, stream)
        events = identity_keys.publish_identity_key(loaded.state, user_id, identity_key)
        if not events:
            return None
        # Two uploads of one user racing: the loser gets Conflict (409) and retries.
        return self.log.append([Change(stream, loaded.version, events)])[-1]
