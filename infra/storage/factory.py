"""Choosing the storage backend from the settings (``STORAGE_BACKEND=local|s3``)."""

from __future__ import annotations

from api.file_storage import StorageBackend, StorageError
from infra.errors import ConfigurationError
from infra.settings import Settings
from infra.storage.local import LocalFileBackend
from infra.storage.s3 import S3CompatibleBackend


def build_storage_backend(settings: Settings) -> StorageBackend:
    """The configured backend, checked at start-up: a node that cannot store files refuses
    to start (exit status 2) rather than fail on the first upload."""
    if settings.storage_backend == "local":
        try:
            return LocalFileBackend(settings.files_dir or settings.data_dir / "files")
        except StorageError as error:
            raise ConfigurationError(f"HEARTH_FILES_DIR: {error}") from None
    endpoint, bucket = settings.s3_endpoint, settings.s3_bucket
    access_key, secret_key = settings.s3_access_key, settings.s3_secret_key
    missing = [
        name
        for name, value in (
            ("S3_ENDPOINT", endpoint),
            ("S3_BUCKET", bucket),
            ("S3_ACCESS_KEY", access_key),
            ("S3_SECRET_KEY", secret_key),
        )
        if not value
    ]
    if not (endpoint and bucket and access_key and secret_key):
        raise ConfigurationError(f"STORAGE_BACKEND=s3 needs {', '.join(missing)}")
    backend = S3CompatibleBackend(endpoint, bucket, access_key, secret_key)
    try:
        backend.ensure_bucket()
    except StorageError as error:
        raise ConfigurationError(f"S3_ENDPOINT {endpoint}: {error}") from None
    return backend
