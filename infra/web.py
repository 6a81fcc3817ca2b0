"""Builds the ASGI app around a node: routers, error handlers, and shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from fastapi import FastAPI, HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Match, Route
from starlette.types import Scope

from api.deps import ApiContext
from api.errors import install_error_handlers
from api.gateway.cluster import Cluster, LocalCluster
from api.gateway.frames import FrameBuilder
from api.gateway.hub import Hub
from api.gateway.session import GatewayContext, channels_for
from api.routes import auth, chat, files, gateway, health, invites, keys, reads, search
from domain.events import Recorded
from infra.bootstrap import Node
from infra.kafka.feed import KafkaFeed
from infra.settings import Settings
from projections.ports import ChatViewReader


def _gateway(
    node: Node, loop: asyncio.AbstractEventLoop
) -> tuple[GatewayContext, Callable[[], None]]:
    """The hub on this loop, fed with frames after each batch of the chat projection (or,
    with ``HEARTH_EVENT_BUS=kafka``, from the log's topic); and how to stop feeding it."""
    settings = node.settings
    hub = Hub(loop, settings.presence_grace_seconds, gateway_cluster(settings, node.reader))
    builder = FrameBuilder(
        node.store, partial(channels_for, node.reader), node.reader.dm_partners_of
    )

    def feed(batch: list[Recorded]) -> None:
        hub.publish_threadsafe(builder.build(batch), batch[-1].position)

    stop_feed: Callable[[], None] = _nothing_to_stop
    hub.published = node.chat_runner.position
    if settings.event_bus == "kafka" and settings.kafka_bootstrap:
        kafka = KafkaFeed(
            settings.kafka_bootstrap,
            settings.kafka_topic,
            node.store,
            node.chat_runner.wait_until,
            feed,
            start_after=hub.published,
        )
        stop_feed = kafka.start().stop
    else:
        node.chat_runner.listeners.append(feed)
    context = GatewayContext(
        hub=hub,
        frames=builder,
        log=node.store,
        reader=node.reader,
        tokens=node.tokens,
        heartbeat_seconds=settings.heartbeat_seconds,
        max_replay=settings.gateway_max_replay,
        buffer_frames=settings.gateway_buffer_frames,
    )
    return context, stop_feed


def _nothing_to_stop() -> None:
    """The in-process feed stops with the chat projection's runner."""


def gateway_cluster(settings: Settings, reader: ChatViewReader) -> Cluster:
    """This process alone by default; every gateway process of the node, through Redis."""
    if settings.redis_url is None:
        return LocalCluster()
    from infra.cluster.gateway import RedisCluster
    from infra.cluster.redis_client import key_prefix

    return RedisCluster(settings.redis_url, key_prefix(settings) + "gateway:", reader)


def create_app(node: Node) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gateway, stop_feed = _gateway(node, asyncio.get_running_loop())
        cluster = app.state.gateway.hub.cluster
        await cluster.start()
        node.accounts.on_sessions_ended.append(cluster.sessions_ended)
        yield
        node.accounts.on_sessions_ended.remove(cluster.sessions_ended)
        stop_feed()
        await cluster.stop()
        node.close()

    app = FastAPI(title="Hearth node", version="0.1.0", lifespan=lifespan)
    app.state.context = ApiContext(
        commands=node.commands, reader=node.reader, projected=node.chat_runner, tokens=node.tokens
    )
    app.state.accounts = node.accounts
    app.state.reads = node.read_state
    app.state.second_factors = node.second_factors
    app.state.key_directory = node.key_directory
    app.state.search = node.search
    app.state.files = files.FilesContext(
        node.files, node.file_commands, node.settings.upload_max_bytes
    )
    install_error_handlers(app)
    for module in (health, auth, chat, invites, reads, gateway, keys, files, search):
        app.include_router(module.router)
    if CLIENT_DIST.is_dir():
        serve_client(app, CLIENT_DIST)
    return app


# --- The web client ---------------------------------------------------------------------------
# The built web client (clients/web, `npm run build`) is served from the node's own origin, so
# its refresh cookie (SameSite=Strict, Path=/api/v1/auth) reaches the auth routes and a newcomer
# opens one URL. Paths the client's router owns fall back to index.html.

CLIENT_DIST = Path(__file__).resolve().parents[1] / "clients" / "web" / "dist"
# The node's own paths, including those reserved for federation (api.md "Reserved paths").
_NODE_PATHS = (
    "/api/",
    "/healthz",
    "/openapi.json",
    "/docs",
    "/redoc",
    "/.well-known/",
    "/inbox",
    "/users/",
)


class _ClientRoute(Route):
    """Matches only paths the node does not own, so API 404s and 405s stay as they were."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path: str = scope.get("path", "")
        if path == "/api" or path.startswith(_NODE_PATHS):
            return Match.NONE, {}
        return super().matches(scope)


def serve_client(app: FastAPI, dist: Path) -> None:
    """Serves the files of ``dist``, and its index.html for any other path the node does not own."""
    root = dist.resolve()

    async def client_file(request: Request) -> FileResponse:
        wanted = (root / request.path_params["path"]).resolve()
        if wanted.is_file() and wanted.is_relative_to(root):
            # Vite names assets by content hash: they never change under one name.
            immutable = wanted.parent == root / "assets"
            cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
            return FileResponse(wanted, headers={"Cache-Control": cache})
        index = root / "index.html"
        if not index.is_file():
            raise HTTPException(status_code=404)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.router.routes.append(
        _ClientRoute("/{path:path}", client_file, methods=["GET", "HEAD"], include_in_schema=False)
    )
