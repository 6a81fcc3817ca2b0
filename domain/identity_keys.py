"""The IdentityKeys aggregate: every identity key a user published, in order.

A change of identity key is what a user's DM partners must be shown (docs/protocol/e2ee.md,
"Identity key changes"): a node serving a forged bundle would have to change it, and so would
a reinstalled device. So, unlike prekeys (``domain.keys``), identity keys are recorded in the
log. Each user has one stream, whose id is derived from the user id (``identity_keys_id``). It
is a stream of its own rather than part of the User aggregate, so the profile stream stays
about the profile. In v0 a user has one device, hence one identity key at a time.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict

from domain import base64url
from domain.aggregates import AggregateKind
from domain.events import Event, catalogue
from domain.keys import IDENTITY_KEY_BYTES

_IDENTITY_KEYS = UUID("8aa698cc-0ff5-433e-9a9b-05ff8ad874d1")


def identity_keys_id(user_id: UUID) -> UUID:
    """The identity key stream of a user: one per user, found without an index."""
    return uuid5(_IDENTITY_KEYS, str(user_id))


@catalogue.register
class IdentityKeyPublished(Event):
    """A user published an identity key: their first, or one replacing ``previous_identity_key``.

    Public data, so not sealed: it is what anyone fetching a bundle receives.
    """

    user_id: UUID
    identity_key: str
    previous_identity_key: str | None


class IdentityKeys(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: UUID
    identity_key: str


def publish_identity_key(
    state: IdentityKeys | None, user_id: UUID, identity_key: str
) -> list[Event]:
    """Record the identity key of an upload; the same key again records nothing."""
    base64url.decode_sized("identity_key", identity_key, IDENTITY_KEY_BYTES)
    if state is not None and state.identity_key == identity_key:
        return []
    previous = None if state is None else state.identity_key
    return [
        IdentityKeyPublished(
            user_id=user_id, identity_key=identity_key, previous_identity_key=previous
        )
    ]


def evolve(state: IdentityKeys | None, event: Event, aggregate_id: UUID) -> IdentityKeys:
    match event:
        case IdentityKeyPublished():
            return IdentityKeys(user_id=event.user_id, identity_key=event.identity_key)
    raise TypeError(f"IdentityKeys cannot apply {event.type_name()}")


IDENTITY_KEYS: AggregateKind[IdentityKeys] = AggregateKind("identity_keys", evolve)
