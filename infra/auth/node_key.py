"""The node's secret-sealing key: a file in the data directory, never in a database.

Second-factor seeds are sealed with it before they reach the credential store, so a
copy of the database (a dump, a backup, a stolen disk image of the database server)
holds no usable seed without this file too. Losing the file disables TOTP for every
user (recovery codes and passkeys still work); back it up with the node's config.
"""

from __future__ import annotations

import os
from pathlib import Path

from infra.errors import ConfigurationError
from infra.eventstore.sealing import KEY_BYTES, new_key

FILE_NAME = "auth-seal.key"


def load_or_create(data_dir: Path) -> bytes:
    """The key in ``data_dir``, created (owner-only, 0600) on first start."""
    path = data_dir / FILE_NAME
    try:
        return _read_or_write(path)
    except OSError as error:
        raise ConfigurationError(f"HEARTH_DATA_DIR: cannot use {path}: {error.strerror}") from None


def _read_or_write(path: Path) -> bytes:
    """Written whole to a temporary file, then linked into place: a crash never leaves a
    short key behind, and of two nodes starting at once both end up with the same key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(new_key())
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise ConfigurationError(f"{path} must hold exactly {KEY_BYTES} bytes")
    return key
