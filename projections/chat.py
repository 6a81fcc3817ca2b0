"""The chat view projection: servers, channels, members, users, messages and identity keys.

Pure event handling: each event becomes calls on a ``ChatViewWriter``; the runner
supplies one inside the transaction that also records the log position, so every
event is applied exactly once, and a replay from zero rebuilds the same view.
"""

from __future__ import annotations

from domain.channel import ChannelCreated, ChannelDeleted, ChannelUpdated
from domain.events import Envelope
from domain.identity_keys import IdentityKeyPublished
from domain.membership import MemberJoined, MemberLeft, MemberRoleChanged
from domain.message import MessageDeleted, MessageEdited, MessagePosted
from domain.server import ServerCreated, ServerRenamed
from domain.user import UserDeleted, UserProfileUpdated, UserRegistered
from projections.chat_models import VersionBody
from projections.ports import ChatViewWriter

NAME = "chat"


def apply(envelope: Envelope, view: ChatViewWriter) -> None:
    """Apply one event to the chat view; events it does not show are ignored."""
    event, aggregate_id, hlc = envelope.event, envelope.aggregate_id, envelope.hlc
    match event:
        case UserRegistered():
            view.upsert_user(aggregate_id, event.username, event.display_name)
        case UserProfileUpdated():
            view.upsert_user(aggregate_id, None, event.display_name)
        case UserDeleted():
            view.forget_user(aggregate_id)
        case ServerCreated():
            view.add_server(aggregate_id, event.name, event.owner_id, event.general_channel_id, hlc)
        case ServerRenamed():
            view.rename_server(aggregate_id, event.name)
        case ChannelCreated():
            view.add_channel(
                aggregate_id,
                event.server_id,
                event.name,
                event.kind.value,
                event.topic,
                event.dm_members,
                hlc,
            )
        case ChannelUpdated():
            view.update_channel(aggregate_id, event.name, event.topic)
        case ChannelDeleted():
            view.delete_channel(aggregate_id)
        case MemberJoined():
            view.add_member(aggregate_id, event.server_id, event.user_id, event.role.value, hlc)
        case MemberRoleChanged():
            view.set_member_role(aggregate_id, event.role.value)
        case MemberLeft():
            view.remove_member(aggregate_id)
        case MessagePosted():
            view.add_message(
                aggregate_id,
                event.channel_id,
                event.author_id,
                _body(event),
                event.reply_to,
                event.expires_at_ms,
                hlc,
                event.attachments,
            )
        case MessageEdited():
            view.edit_message(aggregate_id, envelope.version, _body(event), hlc)
        case MessageDeleted():
            view.delete_message(aggregate_id, hlc)
        case IdentityKeyPublished():
            view.set_identity_key(
                event.user_id, event.identity_key, event.previous_identity_key, hlc
            )


def _body(event: MessagePosted | MessageEdited) -> VersionBody:
    return VersionBody(
        content=event.content,
        ciphertext=event.ciphertext,
        header=event.header,
        initial=event.initial,
    )
