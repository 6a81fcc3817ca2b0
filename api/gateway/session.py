"""One WebSocket session: handshake authentication, resume, heartbeats, client ops.

The access token is checked during the handshake (``Authorization: Bearer`` or the
``hearth.bearer.<token>`` subprotocol, which browsers can set); a bad token closes
the handshake with 4001 before anything is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import WebSocket, WebSocketDisconnect

from api.deps import TokenVerifier
from api.errors import ApiError
from api.gateway.connection import SESSION_ENDED, Connection
from api.gateway.frames import FrameBuilder
from api.gateway.hub import MODERATORS, Hub, ephemeral
from api.ports import LogReader
from domain.membership import Role
from projections.ports import ChatViewReader

PROTOCOL = "hearth.v0"
TOKEN_PREFIX = "hearth.bearer."
MAX_CLIENT_FRAME = 64 * 1024
MAX_SUBSCRIBED = 100


class Close:
    UNKNOWN = 4000
    AUTH = SESSION_ENDED
    BAD_FRAME = 4002
    SLOW = 4008
    TIMEOUT = 4009


@dataclass
class GatewayContext:
    hub: Hub
    frames: FrameBuilder
    log: LogReader
    reader: ChatViewReader
    tokens: TokenVerifier
    heartbeat_seconds: float
    max_replay: int
    buffer_frames: int


def _token(ws: WebSocket) -> str | None:
    header = ws.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    for offered in ws.headers.get("sec-websocket-protocol", "").split(","):
        offered = offered.strip()
        if offered.startswith(TOKEN_PREFIX):
            return offered[len(TOKEN_PREFIX) :]
    return None


def channels_for(reader: ChatViewReader, server_id: UUID, role: Role) -> frozenset[UUID]:
    return frozenset(
        c.id for c in reader.channels_of(server_id, include_private=role in MODERATORS)
    )


def access_of(
    reader: ChatViewReader, user_id: UUID
) -> tuple[dict[UUID | None, set[UUID]], dict[UUID, Role]]:
    roles = {server_id: Role(role) for server_id, role in reader.memberships_of(user_id)}
    channels: dict[UUID | None, set[UUID]] = {
        server_id: set(channels_for(reader, server_id, role)) for server_id, role in roles.items()
    }
    channels[None] = set(reader.dm_channels_of(user_id))
    return channels, roles


async def serve(ws: WebSocket, ctx: GatewayContext) -> None:
    token = _token(ws)
    try:
        if token is None:
            raise ApiError(401, "unauthenticated", "no token")
        caller = await asyncio.to_thread(ctx.tokens.caller, token)
    except ApiError:
        await ws.close(code=Close.AUTH)
        return
    user_id = caller.user_id
    resume_from = _resume_position(ws)
    channels, roles = await asyncio.to_thread(access_of, ctx.reader, user_id)
    offered = [p.strip() for p in ws.headers.get("sec-websocket-protocol", "").split(",")]
    await ws.accept(subprotocol=PROTOCOL if PROTOCOL in offered else None)
    conn = Connection(
        user_id, channels, roles, max_frames=ctx.buffer_frames, session_id=caller.session_id
    )
    interval_ms = int(ctx.heartbeat_seconds * 1000)
    # hello goes into the buffer before the hub knows the connection, so it is always the
    # first frame (attaching announces presence, which would otherwise come first).
    conn.send(ephemeral("hello", {"heartbeat_interval_ms": interval_ms, "user_id": str(user_id)}))
    ctx.hub.attach(conn)
    try:
        await _start(ws, conn, ctx, resume_from)
        await _run(ws, conn, ctx, token)
    finally:
        ctx.hub.detach(conn)


def _resume_position(ws: WebSocket) -> int | None:
    raw = ws.query_params.get("resume_from")
    return int(raw) if raw is not None and raw.isdigit() else None


async def _start(ws: WebSocket, conn: Connection, ctx: GatewayContext, resume: int | None) -> None:
    head = ctx.hub.published
    if resume is not None and resume > head and await asyncio.to_thread(_logged, ctx, resume):
        # The client comes from a process of the node whose feed is further ahead: it has
        # everything up to ``resume``, and live frames up to there are not sent again.
        head = resume
    resumed = resume is not None and 0 <= head - resume <= ctx.max_replay
    if resumed and resume is not None:
        frames = await asyncio.to_thread(_replay, ctx, resume, head)
        for frame in frames:
            if conn in ctx.hub.recipients(frame):
                conn.send(frame.text)
    conn.send(ephemeral("ready", {"position": head, "resumed": resumed}))
    conn.finish_replay(head)


def _logged(ctx: GatewayContext, position: int) -> bool:
    return position <= ctx.log.last_position()


def _replay(ctx: GatewayContext, after: int, head: int) -> list[Any]:
    frames = []
    while after < head:
        batch = [r for r in ctx.log.read(after, 500) if r.position <= head]
        if not batch:
            break
        frames.extend(ctx.frames.build(batch))
        after = batch[-1].position
    return frames


async def _run(ws: WebSocket, conn: Connection, ctx: GatewayContext, token: str) -> None:
    sender = asyncio.create_task(_send_loop(ws, conn))
    receiver = asyncio.create_task(_receive_loop(ws, conn, ctx, token))
    done, pending = await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    code = next((t.result() for t in done if not t.cancelled() and t.exception() is None), None)
    if code is not None:
        with contextlib.suppress(Exception):
            await ws.close(code=code)


async def _send_loop(ws: WebSocket, conn: Connection) -> int:
    while True:
        frames = await conn.next_frames()
        if conn.overflowed:
            return Close.SLOW
        if conn.closing is not None:
            return conn.closing
        for text in frames:
            await ws.send_text(text)


async def _receive_loop(
    ws: WebSocket, conn: Connection, ctx: GatewayContext, token: str
) -> int | None:
    while True:
        try:
            text = await asyncio.wait_for(ws.receive_text(), timeout=ctx.heartbeat_seconds * 2)
        except TimeoutError:
            return Close.TIMEOUT
        except (WebSocketDisconnect, RuntimeError):
            return None
        if len(text) > MAX_CLIENT_FRAME:
            return Close.BAD_FRAME
        try:
            frame = json.loads(text)
            op, data = frame["op"], frame.get("d")
        except (ValueError, KeyError, TypeError):
            return Close.BAD_FRAME
        if op == "heartbeat" and not await _still_valid(ctx, token):
            return Close.AUTH
        if not _handle(op, data, conn, ctx):
            return Close.BAD_FRAME


async def _still_valid(ctx: GatewayContext, token: str) -> bool:
    """Each heartbeat re-checks the token, so an expired token or a signed-out session
    ends the connection within one heartbeat interval (close 4001)."""
    try:
        await asyncio.to_thread(ctx.tokens.user_id, token)
    except ApiError:
        return False
    return True


def _handle(op: str, data: Any, conn: Connection, ctx: GatewayContext) -> bool:
    """Apply one client op; False when the frame is not a valid op."""
    if op == "heartbeat":
        conn.send(ephemeral("heartbeat_ack", {}))
        return True
    if op in ("typing_start", "typing_stop") and isinstance(data, dict):
        channel_id = _uuid(data.get("channel_id"))
        return channel_id is not None and (
            ctx.hub.typing(conn, channel_id, op == "typing_start") or True
        )
    if (
        op == "presence_update"
        and isinstance(data, dict)
        and data.get("status") in ("online", "idle")
    ):
        ctx.hub.set_idle(conn, data["status"] == "idle")
        return True
    if op == "subscribe" and isinstance(data, dict) and isinstance(data.get("channel_ids"), list):
        wanted = {_uuid(value) for value in data["channel_ids"][: MAX_SUBSCRIBED + 1]}
        if None in wanted or len(wanted) > MAX_SUBSCRIBED:
            return False
        conn.narrowed_to = {c for c in wanted if c is not None} & conn.readable()
        return True
    return False


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None
