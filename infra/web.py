"""Builds the ASGI app around a node: routers, error handlers, and shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.deps import ApiContext
from api.errors import install_error_handlers
from api.routes import auth, chat, health
from infra.bootstrap import Node


def create_app(node: Node) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        node.close()

    app = FastAPI(title="Hearth node", version="0.1.0", lifespan=lifespan)
    app.state.context = ApiContext(
        commands=node.commands, reader=node.reader, projected=node.chat_runner, tokens=node.tokens
    )
    app.state.accounts = node.accounts
    install_error_handlers(app)
    for module in (health, auth, chat):
        app.include_router(module.router)
    return app
