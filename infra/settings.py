"""The node's settings: one validated class, read once at start-up by the composition root.

Every setting comes from a ``HEARTH_*`` environment variable. An unknown ``HEARTH_*``
variable is refused (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from infra.errors import ConfigurationError

PREFIX = "HEARTH_"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    data_dir: Path = Field(
        default=Path("data"), description="Where SQLite files and node keys live."
    )
    database_url: str | None = Field(
        default=None, description="postgresql://… to keep the log and read models in PostgreSQL."
    )
    node_name: str = Field(default="localhost", description="This node's name (HLC node id).")
    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds.")
    port: int = Field(default=8080, ge=1, le=65535, description="Port the HTTP server binds.")
    environment: Literal["development", "production"] = "development"
    heartbeat_seconds: float = Field(
        default=30.0, gt=0, le=300, description="Gateway heartbeat interval; 2 missed close."
    )
    presence_grace_seconds: float = Field(
        default=5.0, ge=0, le=600, description="How long a dropped user stays online."
    )
    gateway_max_replay: int = Field(
        default=10_000, ge=0, description="Most log events a gateway resume replays."
    )
    gateway_buffer_frames: int = Field(
        default=2000, ge=1, description="Frames buffered for a slow client before it is closed."
    )
    access_token_minutes: int = Field(default=15, ge=1, le=60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    public_origin: str = Field(
        default="http://localhost:8080",
        description="The origin clients reach the node at; its host is the WebAuthn RP id.",
    )
    password_hash_time_cost: int = Field(default=2, ge=2, description="Argon2id t (OWASP >= 2).")
    password_hash_memory_kib: int = Field(
        default=19 * 1024, ge=19 * 1024, description="Argon2id m in KiB (OWASP >= 19 MiB)."
    )
    rate_limit_client_requests: int = Field(
        default=30, ge=1, description="Login, register or 2FA requests per client per minute."
    )
    rate_limit_failures: int = Field(
        default=10, ge=1, description="Failures per username (or user) before backoff starts."
    )
    rate_limit_failure_window_seconds: int = Field(default=900, ge=1)
    rate_limit_first_lock_seconds: int = Field(default=30, ge=1)
    rate_limit_max_lock_seconds: int = Field(default=900, ge=1, le=3600)
    upload_max_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1, description="Largest file an upload may carry (413 above)."
    )
    files_dir: Path | None = Field(
        default=None, description="Where the local storage backend keeps files (data dir/files)."
    )
    storage_backend: Literal["local", "s3"] = Field(
        default="local", description="STORAGE_BACKEND: where uploaded files live."
    )
    s3_endpoint: str | None = Field(default=None, description="S3_ENDPOINT, e.g. https://…")
    s3_bucket: str | None = Field(default=None, description="S3_BUCKET (created when missing).")
    s3_access_key: str | None = Field(default=None, description="S3_ACCESS_KEY.")
    s3_secret_key: str | None = Field(default=None, description="S3_SECRET_KEY.")
    search_backend: Literal["embedded", "meilisearch"] = Field(
        default="embedded",
        description="Message search: SQLite FTS5 / PostgreSQL full text, or a Meilisearch server.",
    )
    meili_url: str | None = Field(default=None, description="MEILI_URL, e.g. http://…:7700")
    meili_master_key: str | None = Field(default=None, description="MEILI_MASTER_KEY.")
    process_id: str | None = Field(
        default=None,
        description="This process among the node's processes on one PostgreSQL (HLC node id).",
    )
    event_bus: Literal["inprocess", "kafka"] = Field(
        default="inprocess", description="Where the gateway takes logged events from."
    )
    kafka_bootstrap: str | None = Field(
        default=None, description="host:port[,host:port…] of the Kafka brokers."
    )
    kafka_topic: str = Field(
        default="hearth.events", pattern=r"^[A-Za-z0-9._-]{1,200}$", description="The log's topic."
    )
    kafka_partitions: int = Field(
        default=6, ge=1, le=1000, description="Partitions of the topic when the relay creates it."
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://… to share presence, typing, rate limits and jobs across processes.",
    )

    @field_validator("database_url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("public_origin")
    @classmethod
    def _public_origin(cls, value: str) -> str:
        """WebAuthn needs a secure context: https, or http on the loopback host only."""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) origin such as https://chat.example.org")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise ValueError("must be an origin, without a path")
        if parts.scheme == "http" and parts.hostname != "localhost":
            raise ValueError("must use https (plain http is allowed for localhost only)")
        return f"{parts.scheme}://{parts.netloc}"

    @model_validator(mode="after")
    def _meilisearch(self) -> Settings:
        if self.search_backend != "meilisearch":
            return self
        if not self.meili_url:
            raise ValueError("HEARTH_SEARCH_BACKEND=meilisearch needs MEILI_URL")
        if self.environment == "production" and not self.meili_master_key:
            raise ValueError("a production node needs MEILI_MASTER_KEY for Meilisearch")
        return self

    @field_validator("node_name")
    @classmethod
    def _node_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{0,62}", value):
            raise ValueError("must be lower-case letters, digits, dots and dashes")
        return value

    @field_validator("process_id")
    @classmethod
    def _process_id(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9]{1,4}", value):
            raise ValueError("must be a number of 1 to 4 digits")
        return value

    @model_validator(mode="after")
    def _scale_out(self) -> Settings:
        if self.process_id is not None and len(self.hlc_node) > 63:
            raise ValueError("HEARTH_NODE_NAME with the process id must fit in 63 characters")
        if self.event_bus == "kafka" and not (self.kafka_bootstrap and self.database_url):
            raise ValueError("HEARTH_EVENT_BUS=kafka needs HEARTH_KAFKA_BOOTSTRAP and PostgreSQL")
        return self

    @property
    def hlc_node(self) -> str:
        """The node id this process stamps: ``node`` or, one of several, ``node.process``."""
        return self.node_name if self.process_id is None else f"{self.node_name}.{self.process_id}"


UNPREFIXED = frozenset(
    {"storage_backend", "s3_endpoint", "s3_bucket", "s3_access_key", "s3_secret_key"}
    | {"meili_url", "meili_master_key"}
)
"""Settings read from variables without the ``HEARTH_`` prefix: the storage names shared
with other S3 tooling (``STORAGE_BACKEND``, ``S3_ENDPOINT`` …) and Meilisearch's own
(``MEILI_URL``, ``MEILI_MASTER_KEY``); docs/operations.md."""


def variable(name: str) -> str:
    """The environment variable of a setting."""
    return name.upper() if name in UNPREFIXED else PREFIX + name.upper()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Validated settings, or a ``ConfigurationError`` naming the bad variable."""
    env = dict(os.environ if environ is None else environ)
    known = {variable(name) for name in Settings.model_fields if name not in UNPREFIXED}
    unknown = sorted(key for key in env if key.startswith(PREFIX) and key not in known)
    if unknown:
        raise ConfigurationError(
            f"unknown setting {unknown[0]} (known: {', '.join(sorted(known))})"
        )
    values = {name: env[variable(name)] for name in Settings.model_fields if variable(name) in env}
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        field = variable(str(first["loc"][0])) if first["loc"] else "settings"
        raise ConfigurationError(f"invalid {field}: {first['msg']}") from None
