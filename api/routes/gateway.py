"""``GET /api/v1/gateway``: the WebSocket gateway (docs/protocol/api.md#websocket-gateway)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from api.gateway.session import GatewayContext, serve

router = APIRouter()


@router.websocket("/api/v1/gateway")
async def gateway(ws: WebSocket) -> None:
    context: GatewayContext = ws.app.state.gateway
    await serve(ws, context)
