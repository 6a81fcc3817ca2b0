"""Builds the ASGI app around a node: routers, error handlers, and shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI

from api.deps import ApiContext
from api.errors import install_error_handlers
from api.gateway.frames import FrameBuilder
from api.gateway.hub import Hub
from api.gateway.session import GatewayContext, channels_for
from api.routes import auth, chat, gateway, health, invites, keys, reads
from domain.events import Recorded
from infra.bootstrap import Node


def _gateway(node: Node, loop: asyncio.AbstractEventLoop) -> GatewayContext:
    """The hub on this loop, fed with frames by the chat projection after each batch."""
    settings = node.settings
    hub = Hub(loop, settings.presence_grace_seconds)
    builder = FrameBuilder(
        node.store, partial(channels_for, node.reader), node.reader.dm_partners_of
    )
    hub.published = node.chat_runner.position

    def feed(batch: list[Recorded]) -> None:
        hub.publish_threadsafe(builder.build(batch), batch[-1].position)

    node.chat_runner.listeners.append(feed)
    return GatewayContext(
        hub=hub,
        frames=builder,
        log=node.store,
        reader=node.reader,
        tokens=node.tokens,
        heartbeat_seconds=settings.heartbeat_seconds,
        max_replay=settings.gateway_max_replay,
        buffer_frames=settings.gateway_buffer_frames,
    )


def create_app(node: Node) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gateway = _gateway(node, asyncio.get_running_loop())
        yield
        node.close()

    app = FastAPI(title="Hearth node", version="0.1.0", lifespan=lifespan)
    app.state.context = ApiContext(
        commands=node.commands, reader=node.reader, projected=node.chat_runner, tokens=node.tokens
    )
    app.state.accounts = node.accounts
    app.state.reads = node.read_state
    app.state.second_factors = node.second_factors
    app.state.key_directory = node.key_directory
    install_error_handlers(app)
    for module in (health, auth, chat, invites, reads, gateway, keys):
        app.include_router(module.router)
    return app
