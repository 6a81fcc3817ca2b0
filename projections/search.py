"""The message search projection: public channel messages into a full-text index.

Only messages of public channels are indexed. Private channels and DMs never are: a DM holds
ciphertext the node cannot read, and a private channel's messages must not surface through a
shared index. An edit replaces the document; a deletion or an expired TTL removes it (the
shredder then destroys the text's key, so a rebuild cannot bring it back); a deleted channel
takes its documents with it. Documents name their author by id only, so deleting an account
leaves no profile data in the index (its messages stay, as they do in the chat view).

Who may see a result is decided when searching (membership of the server), not here.
"""

from __future__ import annotations

from domain.channel import ChannelCreated, ChannelDeleted, ChannelKind
from domain.events import Envelope
from domain.message import MessageDeleted, MessageEdited, MessagePosted
from projections.search_models import IndexedMessage
from projections.search_ports import SearchView

NAME = "search"


def apply(envelope: Envelope, view: SearchView) -> None:
    """Apply one event to the search index; events it does not index are ignored."""
    event, aggregate_id = envelope.event, envelope.aggregate_id
    scope, index = view.scope, view.index
    match event:
        case ChannelCreated(kind=ChannelKind.PUBLIC, server_id=server_id) if server_id:
            scope.add_public_channel(aggregate_id, server_id)
        case ChannelDeleted() if scope.public_channel_server(aggregate_id) is not None:
            index.delete_channel(aggregate_id)
            scope.remove_channel(aggregate_id)
        case MessagePosted(content=str(content)):
            server_id = scope.public_channel_server(event.channel_id)
            if server_id is None:
                return
            message = IndexedMessage(
                message_id=aggregate_id,
                server_id=server_id,
                channel_id=event.channel_id,
                author_id=event.author_id,
                hlc=envelope.hlc,
            )
            scope.add_message(message)
            index.upsert([message.document(content, None)])
        case MessageEdited(content=str(content)):
            indexed = scope.message(aggregate_id)
            if indexed is not None:
                index.upsert([indexed.document(content, envelope.hlc)])
        case MessageDeleted() if scope.message(aggregate_id) is not None:
            index.delete([aggregate_id])
            scope.remove_message(aggregate_id)
