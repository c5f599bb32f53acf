"""Stored files (uploads, signed letters, QR caches, mini-program codes): one small interface, two
backends. A local folder by default (embedded mode, one server); an S3-compatible object store
when STORAGE_BACKEND=s3, so every app server reads what any of them stored.

Keys are relative, slash-separated names the callers make from content hashes
(`ab/cd/<sha256>.pdf`, `qrcache/<etag>.png`, `wxacode/<sha256>.png`): a key names its bytes, so
writing a key twice is a no-op and nothing is ever overwritten with different content.

Only LocalStorage touches the disk; everything else goes through `get_storage()`.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

from flask import current_app

from server.errors import ApiError

log = logging.getLogger(__name__)

_KEY_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")


class FileMissing(LookupError):
    """No file under this key."""


class StorageUnavailable(ApiError):
    """The store did not answer (disk, network, credentials, bucket): like any dependency outage,
    the API answers 503 with Retry-After, wherever this is raised."""

    def __init__(self, reason: str):
        super().__init__(503, "storage.unavailable", "文件服务暂时不可用，请稍后再试",
                         headers={"Retry-After": "30"})
        self.reason = reason
        log.warning("file storage unavailable: %s", reason)


def check_key(key: str) -> str:
    """Keys are lower-case names and slashes only: no `..`, no absolute path, no surprise."""
    if not isinstance(key, str) or len(key) > 200 or not _KEY_RE.fullmatch(key):
        raise FileMissing(key)
    return key


class LocalStorage:
    """Files under one folder; atomic writes so a reader never sees half a file."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        target = self._path(key)
        if target.exists():
            return
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Temp file in the same directory so os.replace is an atomic rename.
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-", suffix=".tmp")
        except OSError as exc:
            raise StorageUnavailable(f"cannot write under {self.folder}: {exc}") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException as exc:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            if isinstance(exc, OSError):
                raise StorageUnavailable(f"cannot write {key}: {exc}") from exc
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise FileMissing(key) from None
        except OSError as exc:
            raise StorageUnavailable(f"cannot read {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def ready(self) -> str | None:
        """None when usable, else why not (for /readyz)."""
        return None if self.folder.is_dir() or not self.folder.exists() else f"{self.folder} is not a folder"


class S3Storage:
    """An S3-compatible bucket (AWS S3, MinIO, Ceph, Aliyun OSS or Tencent COS in S3 mode)."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None, prefix: str = "",
                 timeout: float = 5.0):
        import boto3
        from botocore.config import Config as BotoConfig

        if not bucket:
            raise ValueError("S3_BUCKET is required when STORAGE_BACKEND=s3")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None,
            config=BotoConfig(connect_timeout=timeout, read_timeout=timeout,
                              retries={"max_attempts": 2, "mode": "standard"},
                              s3={"addressing_style": "path"} if endpoint_url else None))

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _errors(self):
        from botocore.exceptions import BotoCoreError, ClientError

        return BotoCoreError, ClientError

    @staticmethod
    def _missing(exc) -> bool:
        code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
        return code in {"404", "NoSuchKey", "NotFound"}

    def put(self, key: str, data: bytes) -> None:
        errors = self._errors()
        if self.exists(key):
            return
        try:
            # Content-MD5 lets the store refuse bytes damaged on the way.
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                                   ContentMD5=base64.b64encode(hashlib.md5(data).digest()).decode())
        except errors as exc:
            raise StorageUnavailable(f"cannot store {key}: {exc}") from exc

    def get(self, key: str) -> bytes:
        errors = self._errors()
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except errors as exc:
            if self._missing(exc):
                raise FileMissing(key) from None
            raise StorageUnavailable(f"cannot read {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        errors = self._errors()
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return True
        except errors as exc:
            if self._missing(exc):
                return False
            raise StorageUnavailable(f"cannot check {key}: {exc}") from exc

    def ready(self) -> str | None:
        errors = self._errors()
        try:
            self.client.head_bucket(Bucket=self.bucket)
            return None
        except errors as exc:
            return f"bucket {self.bucket} not reachable: {exc.__class__.__name__}"


Storage = LocalStorage | S3Storage


def storage_from_config(cfg) -> Storage:
    backend = (cfg.get("STORAGE_BACKEND") or "local").lower()
    if backend == "local":
        return LocalStorage(cfg["UPLOAD_FOLDER"])
    if backend == "s3":
        return S3Storage(cfg.get("S3_BUCKET", ""), endpoint_url=cfg.get("S3_ENDPOINT_URL"),
                         region=cfg.get("S3_REGION"), access_key=cfg.get("S3_ACCESS_KEY_ID"),
                         secret_key=cfg.get("S3_SECRET_ACCESS_KEY"), prefix=cfg.get("S3_PREFIX", ""))
    raise ValueError(f"STORAGE_BACKEND must be local or s3, not {backend!r}")


def get_storage() -> Storage:
    ext = current_app.extensions
    if "storage" not in ext:
        ext["storage"] = storage_from_config(current_app.config)
    return ext["storage"]

