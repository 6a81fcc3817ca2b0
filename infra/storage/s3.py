"""Objects in an S3-compatible store (AWS S3, SeaweedFS, MinIO, Garage …), via boto3.

The content hash is known only once every byte has passed, so an upload goes to a temporary
key first, as a multipart upload of ``PART_BYTES`` parts (memory stays at one part), and is
then copied onto its hash inside the store and the temporary key deleted. S3 makes an object
visible only when its upload completes, so no partial object is ever readable under a hash.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from api.file_storage import CHUNK_BYTES, ObjectNotFound, StorageError, StoredObject

PART_BYTES = 8 * 1024 * 1024
"""S3 parts must be at least 5 MiB, except the last."""
_OBJECTS = "objects/"
_UPLOADS = "uploads/"
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3CompatibleBackend:
    def __init__(self, endpoint: str, bucket: str, access_key: str, secret_key: str) -> None:
        self.bucket = bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=5,
                retries={"max_attempts": 3},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def ensure_bucket(self) -> None:
        """Create the bucket when it is missing; StorageError when the store cannot be reached."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as error:
            if _code(error) not in _MISSING:
                raise StorageError(f"S3 bucket {self.bucket}: {_code(error)}") from None
            self._call(self.client.create_bucket, Bucket=self.bucket)
        except BotoCoreError as error:
            raise StorageError(f"S3 store unreachable: {error}") from None

    def _key(self, content_hash: str) -> str:
        return _OBJECTS + content_hash

    def _call(self, method: Any, **kwargs: Any) -> Any:
        """One S3 request, its errors translated at this edge (missing → ObjectNotFound)."""
        try:
            return method(**kwargs)
        except ClientError as error:
            if _code(error) in _MISSING:
                raise ObjectNotFound(kwargs.get("Key", "")) from None
            raise StorageError(f"S3 request failed: {_code(error)}") from None
        except BotoCoreError as error:
            raise StorageError(f"S3 store unreachable: {error}") from None

    def put(self, chunks: Iterable[bytes]) -> StoredObject:
        temporary = _UPLOADS + uuid.uuid4().hex
        upload = self._call(self.client.create_multipart_upload, Bucket=self.bucket, Key=temporary)
        upload_id = upload["UploadId"]
        try:
            digest, size, parts = self._send_parts(chunks, temporary, upload_id)
            self._call(
                self.client.complete_multipart_upload,
                Bucket=self.bucket,
                Key=temporary,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
            )
        except BaseException:
            self._call(
                self.client.abort_multipart_upload,
                Bucket=self.bucket,
                Key=temporary,
                UploadId=upload_id,
            )
            raise
        try:
            content_hash = digest.hexdigest()
            if not self.exists(content_hash):
                self._call(
                    self.client.copy_object,
                    Bucket=self.bucket,
                    Key=self._key(content_hash),
                    CopySource={"Bucket": self.bucket, "Key": temporary},
                )
        finally:
            self._call(self.client.delete_object, Bucket=self.bucket, Key=temporary)
        return StoredObject(content_hash, size)

    def _send_parts(
        self, chunks: Iterable[bytes], key: str, upload_id: str
    ) -> tuple[Any, int, list[dict[str, Any]]]:
        digest, size = hashlib.sha256(), 0
        parts: list[dict[str, Any]] = []
        pending = bytearray()

        def send(body: bytes) -> None:
            number = len(parts) + 1
            answer = self._call(
                self.client.upload_part,
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                Body=body,
            )
            parts.append({"PartNumber": number, "ETag": answer["ETag"]})

        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            pending += chunk
            if len(pending) >= PART_BYTES:
                send(bytes(pending))
                pending.clear()
        if pending or not parts:
            send(bytes(pending))
        return digest, size, parts

    def get(self, content_hash: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        request = {"Bucket": self.bucket, "Key": self._key(content_hash)}
        if start or end is not None:
            # Without a range for a whole object: a range on an empty object is unsatisfiable.
            request["Range"] = f"bytes={start}-{'' if end is None else end}"
        answer = self._call(self.client.get_object, **request)
        return _stream(answer["Body"])

    def size(self, content_hash: str) -> int:
        answer = self._call(
            self.client.head_object, Bucket=self.bucket, Key=self._key(content_hash)
        )
        return int(answer["ContentLength"])

    def exists(self, content_hash: str) -> bool:
        try:
            self.size(content_hash)
        except ObjectNotFound:
            return False
        return True

    def delete(self, content_hash: str) -> None:
        self._call(self.client.delete_object, Bucket=self.bucket, Key=self._key(content_hash))

    def list(self, prefix: str = "") -> Iterator[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=_OBJECTS + prefix
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][len(_OBJECTS) :]
        except (ClientError, BotoCoreError) as error:
            raise StorageError(f"S3 listing failed: {error}") from None


def _stream(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    except (ClientError, BotoCoreError) as error:
        raise StorageError(f"S3 read failed: {error}") from None
    finally:
        body.close()


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "unknown"))
