"""``GET /api/v1/gateway``: the WebSocket gateway (docs/protocol/api.md#websocket-gateway),
and the presence it knows."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, WebSocket

from api.deps import Context, CurrentUser
from api.gateway.session import GatewayContext, serve
from api.readback import member_server

router = APIRouter()


@router.websocket("/api/v1/gateway")
async def gateway(ws: WebSocket) -> None:
    context: GatewayContext = ws.app.state.gateway
    await serve(ws, context)


@router.get("/api/v1/servers/{server_id}/presence")
def presence(server_id: UUID, request: Request, ctx: Context, user: CurrentUser) -> dict[UUID, str]:
    """Members of the server who are online or idle now (everyone else is offline)."""
    member_server(ctx, user, server_id)
    hub = request.app.state.gateway.hub
    return hub.cluster.present_in(server_id)  # type: ignore[no-any-return]
