"""File storage: the local folder and an S3-compatible object store (moto's server on loopback).

The point of the object store is that any app server serves what another stored: two app
instances on one database, each with a disk of its own, share uploads, letters and QR codes.
"""
from __future__ import annotations

import socket

import boto3
import pytest
from moto.server import ThreadedMotoServer

from server import create_app
from server.common.storage import FileMissing, LocalStorage, S3Storage, StorageUnavailable, check_key
from server.config import TestConfig
from server.extensions import db as _db
from tests.helpers_filing import make_ready_draft, png_bytes, setup_user, sign, upload

BUCKET = "filing-files"
CREDENTIALS = {"S3_ACCESS_KEY_ID": "test-access-key", "S3_SECRET_ACCESS_KEY": "test-secret-key",
               "S3_REGION": "cn-north-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=url, region_name="cn-north-1", aws_access_key_id="test-access-key",
                 aws_secret_access_key="test-secret-key").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    yield url
    server.stop()


def _s3(url: str, **kw) -> S3Storage:
    return S3Storage(BUCKET, endpoint_url=url, region="cn-north-1", access_key="test-access-key",
                     secret_key="test-secret-key", **kw)


@pytest.fixture
def instances(app, s3_endpoint, tmp_path):
    """Two app servers: the same database and bucket, a disk folder each (which must stay unused)."""
    made = []
    for name in ("a", "b"):
        folder = tmp_path / f"disk-{name}"
        made.append(create_app(TestConfig(
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], UPLOAD_FOLDER=str(folder),
            STORAGE_BACKEND="s3", S3_BUCKET=BUCKET, S3_ENDPOINT_URL=s3_endpoint,
            S3_PREFIX=f"run-{tmp_path.name}", WECHAT_API_BASE=app.config["WECHAT_API_BASE"],
            PUBLIC_BASE_URL=app.config["PUBLIC_BASE_URL"], **CREDENTIALS)))
    yield made
    for other in made:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_one_instance_stores_the_other_serves(instances, tmp_path):
    a, b = (x.test_client() for x in instances)
    headers = setup_user(a, "openid-storage")
    draft = make_ready_draft(a, headers, "long_term_resident", proof="none")
    proof = png_bytes(90, 70, (10, 200, 10))
    resp = upload(a, headers, draft["id"], "residence_permit", proof)
    assert resp.status_code == 201, resp.json
    doc_id = resp.json["document"]["id"]

    served = b.get(f"/api/v1/filings/{draft['id']}/documents/{doc_id}", headers=headers)
    assert served.status_code == 200
    assert served.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert served.data == a.get(f"/api/v1/filings/{draft['id']}/documents/{doc_id}", headers=headers).data

    # Nothing of it went to either server's disk.
    assert not any(p.is_file() for p in tmp_path.rglob("disk-*/**/*"))


def test_letter_signed_on_one_instance_downloads_from_the_other(instances, tmp_path):
    a, b = (x.test_client() for x in instances)
    headers = setup_user(a, "openid-storage-letter")
    draft = make_ready_draft(a, headers, "retiree_relocated", proof="none")
    assert sign(a, headers, draft["id"]).status_code == 201
    pdf = b.get(f"/api/v1/filings/{draft['id']}/commitment.pdf", headers=headers)
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF-")
    assert not any(p.is_file() for p in tmp_path.rglob("disk-*/**/*"))


def test_object_store_outage_is_503_with_retry_after(app, tmp_path):
    dead = f"http://127.0.0.1:{_free_port()}"  # nothing listens here
    other = create_app(TestConfig(
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"], UPLOAD_FOLDER=str(tmp_path),
        STORAGE_BACKEND="s3", S3_BUCKET=BUCKET, S3_ENDPOINT_URL=dead, **CREDENTIALS))
    try:
        c = other.test_client()
        headers = setup_user(c, "openid-storage-down")
        draft = make_ready_draft(c, headers, "long_term_resident", proof="none")
        resp = upload(c, headers, draft["id"], "residence_permit")
        assert resp.status_code == 503
        assert resp.headers["Retry-After"]
        assert resp.json["error"]["code"] == "storage.unavailable"
        assert "文件" in resp.json["error"]["message"]
        ready = c.get("/readyz")
        assert ready.status_code == 200 and "file storage unavailable" in ready.json["details"]["storage"]["warning"]
    finally:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_backends_share_one_contract(backend, tmp_path, s3_endpoint):
    store = LocalStorage(tmp_path) if backend == "local" else _s3(s3_endpoint, prefix=f"contract-{tmp_path.name}")
    key = "ab/cd/" + "ab" + "cd" + "0" * 60 + ".pdf"
    assert not store.exists(key)
    with pytest.raises(FileMissing):
        store.get(key)
    store.put(key, b"%PDF-1.7 first")
    store.put(key, b"%PDF-1.7 first")  # same key, same content: a no-op
    assert store.exists(key)
    assert store.get(key) == b"%PDF-1.7 first"
    assert store.ready() is None


@pytest.mark.parametrize("key", ["../x.png", "/etc/passwd", "a//b.png", "A/b.png", "qrcache/.png", "", "a/../b"])
def test_keys_outside_the_namespace_are_refused(key, tmp_path):
    with pytest.raises(FileMissing):
        check_key(key)
    with pytest.raises(FileMissing):
        LocalStorage(tmp_path).get(key)


def test_unreachable_store_raises_unavailable(tmp_path):
    store = _s3(f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(StorageUnavailable):
        store.get("qrcache/" + "0" * 64 + ".png")
    assert store.ready() is not None


def test_qr_cache_lives_in_the_shared_store(s3_endpoint, tmp_path):
    from server.institutions.qr import qr_png, qr_png_cached, qr_png_etag

    url = "https://filing.example.cn/c/shared-cache"
    one, two = _s3(s3_endpoint, prefix=f"qr-{tmp_path.name}"), _s3(s3_endpoint, prefix=f"qr-{tmp_path.name}")
    data, etag = qr_png_cached(url, one)
    assert etag == qr_png_etag(url) and data == qr_png(url)
    assert two.exists(f"qrcache/{etag}.png")
    assert qr_png_cached(url, two) == (data, etag)
