"""Uploads and downloads of files (``/api/v1``); see docs/protocol/files.md and api.md "Files"."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse, StreamingResponse
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool

from api.content_types import ACTIVE_TYPES, OCTET_STREAM, sniff
from api.deps import ApiContext, Context, CurrentUser
from api.errors import ApiError
from api.file_commands import FileCommands
from api.file_storage import ObjectNotFound, StorageBackend
from api.upload_stream import FilePart, NoFilePart, UploadTooLarge, stream_into
from domain import file
from domain.errors import NotFound

router = APIRouter(prefix="/api/v1")

MULTIPART_OVERHEAD = 64 * 1024
"""Room for boundaries and part headers when a Content-Length is checked against the limit."""
MAX_REFERENCES_CHECKED = 50
INLINE_PREFIXES = ("image/", "audio/", "video/", "text/plain")


@dataclass(frozen=True)
class FilesContext:
    storage: StorageBackend
    commands: FileCommands
    max_bytes: int


def _files(request: Request) -> FilesContext:
    files: FilesContext = request.app.state.files
    return files


Files = Annotated[FilesContext, Depends(_files)]


def _too_large(files: FilesContext) -> ApiError:
    return ApiError(413, "too_large", f"files are limited to {files.max_bytes} bytes")


@router.post("/upload", status_code=status.HTTP_201_CREATED)
async def upload(
    request: Request, user: CurrentUser, files: Files, encrypted: bool = False
) -> JSONResponse:
    """Stream the ``file`` part into storage; ``encrypted`` marks a client-encrypted blob,
    stored as opaque bytes and never sniffed (files.md, "Encrypted attachments")."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise ApiError(415, "unsupported_media_type", "send the file as multipart/form-data")
    declared = request.headers.get("content-length", "")
    if _digits(declared) and int(declared) > files.max_bytes + MULTIPART_OVERHEAD:
        raise _too_large(files)
    part = FilePart(options[b"boundary"], files.max_bytes)
    try:
        stored = await stream_into(files.storage, request.stream(), part)
    except UploadTooLarge:
        raise _too_large(files) from None
    except NoFilePart as error:
        raise ApiError(422, "invalid_request", str(error)) from None
    content_type = OCTET_STREAM if encrypted else sniff(part.head)
    await run_in_threadpool(
        files.commands.record_upload,
        user,
        stored.content_hash,
        part.name,
        stored.size,
        content_type,
        encrypted,
    )
    body = {
        "file_id": stored.content_hash,
        "size": stored.size,
        "content_type": content_type,
        "name": file.clean_name(part.name),
        "encrypted": encrypted,
    }
    return JSONResponse(body, status_code=201)


@router.get("/files/{file_id}")
def download(
    file_id: str, request: Request, ctx: Context, user: CurrentUser, files: Files
) -> Response:
    """The file, to its uploader or to anyone who can read a message attaching it; any other
    caller (and any malformed id) gets the same 404, revealing nothing."""
    if not file.is_file_id(file_id):
        raise NotFound("file not found")
    upload = _visible_upload(ctx, files, user, file_id)
    try:
        size = files.storage.size(file_id)
    except ObjectNotFound:
        raise NotFound("file not found") from None
    headers = _headers(upload)
    wanted = _range(request.headers.get("range"), size)
    if wanted is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(
            files.storage.get(file_id) if size else iter(()),
            headers=headers,
            media_type=headers.pop("Content-Type"),
        )
    start, end = wanted
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    return StreamingResponse(
        files.storage.get(file_id, start, end),
        status_code=206,
        headers=headers,
        media_type=headers.pop("Content-Type"),
    )


def _visible_upload(ctx: ApiContext, files: FilesContext, user: UUID, file_id: str) -> file.File:
    """The caller's own upload, else the upload behind a message the caller can read."""
    own = files.commands.upload_of(file_id, user)
    if own is not None:
        return own
    for reference in ctx.reader.file_references(file_id, MAX_REFERENCES_CHECKED):
        try:
            ctx.commands.readable_channel(user, reference.channel_id)
        except NotFound:
            continue
        upload = files.commands.upload_of(file_id, reference.author_id)
        if upload is not None:
            return upload
    raise NotFound("file not found")


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    """One byte range (RFC 9110 §14.1.2), clipped to the file; None serves the whole file.
    Several ranges are answered with the whole file, which §14.2 allows."""
    if header is None:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = (part.strip() for part in spec.partition("-"))
    if not dash or not (first or last) or not all(_digits(p) for p in (first, last) if p):
        return None
    if not first:  # a suffix: the last N bytes
        start, end = max(size - int(last), 0), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if last and first and int(last) < int(first):
        return None
    if start >= size or (not first and int(last) == 0):
        raise ApiError(
            416, "range_not_satisfiable", "the range lies outside the file",
            {"Content-Range": f"bytes */{size}"},
        )  # fmt: skip
    return start, end


def _digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts "²", which ``int`` refuses)."""
    return text.isascii() and text.isdigit()


def _headers(upload: file.File) -> dict[str, str]:
    """Headers that keep a browser from running what it downloads: active or encrypted
    content is sent as opaque bytes to save, never shown inline."""
    content_type = upload.content_type
    if upload.encrypted or content_type in ACTIVE_TYPES:
        content_type = OCTET_STREAM
    inline = content_type.startswith(INLINE_PREFIXES)
    if content_type == "text/plain":
        content_type = "text/plain; charset=utf-8"
    return {
        "Content-Type": content_type,
        "Content-Disposition": content_disposition(
            "inline" if inline else "attachment", upload.name or "file"
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, max-age=0, must-revalidate",
        "Accept-Ranges": "bytes",
        "ETag": f'"{upload.file_id}"',
    }


def content_disposition(kind: str, name: str) -> str:
    """RFC 6266 §4.3: an ASCII ``filename`` for old clients (accents dropped, quotes,
    backslashes, separators and controls removed) and the exact name as RFC 8187
    ``filename*=UTF-8''…``, percent-encoded so no byte of it can end the header."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(ch for ch in folded if ch.isprintable() and ch not in '"\\/%;')
    fallback = fallback.strip(" .")[:100] or "file"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
