"""Content types sniffed from a file's first bytes, never taken from the client.

A subset of the WHATWG MIME Sniffing Standard: the byte patterns of §6.1 (images), §6.2
(audio and video) and §6.3 (archives), PDF, the HTML and XML/SVG signatures of §7.1 step 5,
and "text/plain" for bytes that decode as UTF-8 without control characters (§7.1 "binary
data byte"). Anything else is ``application/octet-stream``.
"""

from __future__ import annotations

OCTET_STREAM = "application/octet-stream"
SNIFF_BYTES = 1445
"""The standard's resource header size (§5.2)."""

_MAGIC: tuple[tuple[bytes, bytes | None, str], ...] = (
    # (pattern, mask or None, type)
    (b"\x89PNG\r\n\x1a\n", None, "image/png"),
    (b"\xff\xd8\xff", None, "image/jpeg"),
    (b"GIF87a", None, "image/gif"),
    (b"GIF89a", None, "image/gif"),
    (b"RIFF\0\0\0\0WEBPVP", b"\xff\xff\xff\xff\0\0\0\0\xff\xff\xff\xff\xff\xff", "image/webp"),
    (b"\0\0\1\0", None, "image/x-icon"),
    (b"BM", None, "image/bmp"),
    (b"%PDF-", None, "application/pdf"),
    (b"PK\3\4", None, "application/zip"),
    (b"\x1f\x8b\x08", None, "application/gzip"),
    (b"OggS\0", None, "application/ogg"),
    (b"ID3", None, "audio/mpeg"),
    (b"fLaC", None, "audio/flac"),
    (b"RIFF\0\0\0\0WAVE", b"\xff\xff\xff\xff\0\0\0\0\xff\xff\xff\xff", "audio/wav"),
    (b"\x1a\x45\xdf\xa3", None, "video/webm"),
    (b"\0\0\0\0ftyp", b"\0\0\0\0\xff\xff\xff\xff", "video/mp4"),
)
_HTML_TAGS = (
    b"<!DOCTYPE HTML", b"<HTML", b"<HEAD", b"<SCRIPT", b"<IFRAME", b"<H1", b"<DIV", b"<FONT",
    b"<TABLE", b"<A", b"<STYLE", b"<TITLE", b"<B", b"<BODY", b"<BR", b"<P", b"<!--",
)  # fmt: skip
_TAG_END = b" >"
ACTIVE_TYPES = frozenset({"text/html", "image/svg+xml", "text/xml"})
"""Types a browser would run script in: always served as a download of opaque bytes."""


def _matches(head: bytes, pattern: bytes, mask: bytes | None) -> bool:
    if len(head) < len(pattern):
        return False
    if mask is None:
        return head.startswith(pattern)
    return all(h & m == p & m for h, p, m in zip(head, pattern, mask, strict=False))


def _markup(head: bytes) -> str | None:
    """§7.1 step 5: HTML tags (case-insensitive, followed by space or '>'), and XML."""
    text = head.lstrip(b"\t\n\x0c\r ")
    upper = text.upper()
    for tag in _HTML_TAGS:
        if upper.startswith(tag) and len(text) > len(tag) and text[len(tag)] in _TAG_END:
            return "text/html"
    if text.startswith(b"<?xml") or upper.startswith(b"<SVG"):
        return "image/svg+xml" if b"<svg" in head.lower() else "text/xml"
    return None


def _plain_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:  # a multi-byte character cut at the sniffing window
        if error.start < len(head) - 3:
            return False
        text = head[: error.start].decode("utf-8")
    return all(ch.isprintable() or ch in "\t\n\r\x0c" for ch in text)


def sniff(head: bytes) -> str:
    """The content type of a file whose first ``SNIFF_BYTES`` bytes are ``head``."""
    for pattern, mask, content_type in _MAGIC:
        if _matches(head, pattern, mask):
            return content_type
    markup = _markup(head)
    if markup is not None:
        return markup
    if head and _plain_text(head):
        return "text/plain"
    return OCTET_STREAM
