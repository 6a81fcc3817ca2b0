"""The chat view as a ``ViewSpec``: the pure projection plus its SQL tables and writer."""

from __future__ import annotations

from infra.projections.views import ViewSpec
from infra.readmodels.chat_tables import create_statements, drop_statements
from infra.readmodels.chat_writer import SqlChatViewWriter
from projections import chat

CHAT_VIEW = ViewSpec(
    name=chat.NAME,
    apply=chat.apply,
    writer=SqlChatViewWriter,
    create_statements=create_statements,
    drop_statements=drop_statements,
    version=3,
)
