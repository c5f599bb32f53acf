"""The database dies under load and comes back (PostgreSQL pass only).

A PostgreSQL cluster of the test's own (initdb on a spare port in a temporary directory, run as the
postgres user; never the shared server) serves an app while several threads take filings from login
to submission. The postmaster is killed (-9) mid-run and started again. During the outage the API
answers only 503 in the error envelope, with Retry-After; afterwards it serves again without being
restarted; every filing the clients saw submitted is in the database with its events, and nothing
is half-written.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import date, timedelta

import pytest

from server import create_app
from server.common.timeutil import today_cn
from server.config import TestConfig
from server.extensions import db as _db
from tests.conftest import POSTGRES
from tests.idgen import resident_id

THREADS = 6
OUTAGE_SECONDS = 4


def _pg_bin() -> str | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


def _can_run_cluster() -> str | None:
    if not POSTGRES:
        return "PostgreSQL pass only (TEST_DATABASE_URL not set)"
    if _pg_bin() is None or shutil.which("runuser") is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) or runuser not installed"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "no postgres user"
    if os.geteuid() != 0:
        return "needs root to run the cluster as the postgres user"
    return None


pytestmark = pytest.mark.skipif(_can_run_cluster() is not None, reason=_can_run_cluster() or "")


class Cluster:
    """A throw-away PostgreSQL cluster run as the postgres user."""

    def __init__(self):
        self.bin = _pg_bin()
        self.root = tempfile.mkdtemp(prefix="filing-pgfault-")
        os.chmod(self.root, 0o755)
        pg = pwd.getpwnam("postgres")
        os.chown(self.root, pg.pw_uid, pg.pw_gid)
        self.data = os.path.join(self.root, "data")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args, timeout=60):
        return subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True,
                              timeout=timeout, cwd=self.root)

    def init(self):
        out = self._run(f"{self.bin}/initdb", "-D", self.data, "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--no-locale", "--no-sync", timeout=120)
        assert out.returncode == 0, out.stderr

    def start(self, attempts: int = 40):
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        for _ in range(attempts):
            out = self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-o", opts, "-l",
                            os.path.join(self.root, "log"), "-w", "-t", "20", "start")
            if out.returncode == 0:
                return
            # Right after a kill -9 the orphaned backends may still hold the shared memory.
            time.sleep(0.5)
        raise AssertionError("the cluster did not start again: " + self.log_tail())

    def postmaster_pid(self) -> int:
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            return int(f.readline())

    def kill(self):
        os.kill(self.postmaster_pid(), signal.SIGKILL)

    def stop(self):
        self._run(f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "stop")

    def log_tail(self) -> str:
        try:
            with open(os.path.join(self.root, "log")) as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster():
    c = Cluster()
    try:
        c.init()
        c.start()
        yield c
    finally:
        c.stop()
        c.remove()


@pytest.fixture(scope="module")
def outage_app(cluster, tmp_path_factory, fake_wechat):
    cfg = TestConfig(SQLALCHEMY_DATABASE_URI=cluster.url, UPLOAD_FOLDER=str(tmp_path_factory.mktemp("outage")),
                     WECHAT_API_BASE=fake_wechat.url, PUBLIC_BASE_URL="https://filing.example.cn",
                     DB_RETRY_AFTER=3,
                     # Each request may hold two connections (its session, and shared state).
                     SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 2 * THREADS, "max_overflow": 4,
                                                "pool_timeout": 3, "connect_args": {"connect_timeout": 2}})
    app = create_app(cfg)
    with app.app_context():
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


class Driver:
    """One client thread: filing after filing, each by a new person, every step tried again after a
    503 (the client's side of Retry-After, shortened)."""

    def __init__(self, app, n: int, stop: threading.Event, clock):
        self.client = app.test_client()
        self.n = n
        self.stop = stop
        self.clock = clock
        self.submitted: list[int] = []      # ids the client saw submitted (200)
        self.submitted_at: list[float] = []
        self.unavailable: list[float] = []  # times of 503 answers
        self.violations: list[str] = []     # anything other than the expected answer or a 503

    def step(self, method, url, expect, **kw):
        while not self.stop.is_set():
            try:
                resp = getattr(self.client, method)(url, **kw)
            except Exception as exc:  # a bug surfacing as an exception under testing
                self.violations.append(f"{method} {url}: {type(exc).__name__}: {exc}"[:300])
                return None
            if resp.status_code == expect:
                return resp
            body = resp.get_json(silent=True) or {}
            err = body.get("error") or {}
            if (resp.status_code == 503 and err.get("code") and err.get("message") and err.get("request_id")
                    and resp.headers.get("Retry-After")):
                self.unavailable.append(self.clock())
                time.sleep(0.2)
                continue
            self.violations.append(f"{method} {url}: {resp.status_code} {resp.get_data(as_text=True)[:300]}")
            return None
        return None

    def one_filing(self, i: int) -> None:
        openid = f"fault-{self.n}-{i}-{uuid.uuid4().hex[:6]}"
        number = resident_id("110105", date(1950, 1, 1) + timedelta(days=self.n * 2000 + i), 11)
        r = self.step("post", "/api/v1/auth/dev", 200, json={"openid": openid})
        if r is None:
            return
        h = {"Authorization": f"Bearer {r.json['token']}"}
        profile = {"name": "张三", "id_number": number, "phone": "13800138000",
                   "default_insured_region_code": "510100", "default_scheme": "employee"}
        if self.step("patch", "/api/v1/me", 200, json=profile, headers=h) is None:
            return
        r = self.step("get", "/api/v1/consent", 200, headers=h)
        if r is None or self.step("post", "/api/v1/consent", 200, json={"version": r.json["version"]},
                                  headers=h) is None:
            return
        r = self.step("post", "/api/v1/filings", 201, headers=h, json={
            "applicant": "self", "visit_region_code": "310000", "filing_type": "emergency"})
        if r is None:
            return
        fid = r.json["id"]
        details = {"start_date": today_cn().isoformat(), "contact_name": "张三", "contact_phone": "13800138000"}
        r = self.step("patch", f"/api/v1/filings/{fid}", 200, json=details, headers=h)
        if r is None:
            return
        notice = self.step("get", f"/api/v1/notices/{r.json['insured_region_code']}/emergency", 200)
        if notice is None or self.step("post", f"/api/v1/filings/{fid}/notice", 200,
                                       json={"version": notice.json["version"]}, headers=h) is None:
            return
        key = uuid.uuid4().hex
        r = self.step("post", f"/api/v1/filings/{fid}/submit", 200, headers={**h, "Idempotency-Key": key})
        if r is not None:
            self.submitted.append(fid)
            self.submitted_at.append(self.clock())

    def run(self):
        i = 0
        while not self.stop.is_set() and not self.violations:
            self.one_filing(i)
            i += 1


def recovered_at(driver, back_at) -> float:
    after = [t for t in driver.submitted_at if t > back_at]
    return min(after) - back_at if after else float("inf")


def test_postmaster_killed_and_restarted_under_load(outage_app, cluster, caplog):
    from server import dbfaults
    from server.filing.models import Filing, FilingEvent

    dbfaults.burst.active = False
    t0 = time.monotonic()
    clock = lambda: time.monotonic() - t0  # noqa: E731
    stop = threading.Event()
    drivers = [Driver(outage_app, n, stop, clock) for n in range(THREADS)]
    threads = [threading.Thread(target=d.run, daemon=True) for d in drivers]
    with caplog.at_level("INFO", logger="server.db"):
        for t in threads:
            t.start()
        try:
            # Some filings go through before the outage.
            while sum(len(d.submitted) for d in drivers) < 2 * THREADS and clock() < 60:
                time.sleep(0.1)
            assert sum(len(d.submitted) for d in drivers) >= THREADS, [d.violations for d in drivers]
            cluster.kill()
            killed_at = clock()
            time.sleep(OUTAGE_SECONDS)
            cluster.start()
            back_at = clock()
            # Every client gets a filing through again, with the same app (no restart).
            while clock() < back_at + 30 and not all(any(t > back_at for t in d.submitted_at) for d in drivers):
                time.sleep(0.1)
        finally:
            stop.set()
            for t in threads:
                t.join(timeout=30)

    print(f"outage: killed at {killed_at:.1f}s, back at {back_at:.1f}s; "
          f"{sum(len(d.submitted) for d in drivers)} filings submitted, "
          f"{sum(len(d.unavailable) for d in drivers)} answers 503; every client through again "
          f"{max(recovered_at(d, back_at) for d in drivers):.1f}s after the restart")
    violations = [v for d in drivers for v in d.violations]
    assert violations == []
    during = [t for d in drivers for t in d.unavailable if killed_at <= t <= back_at + 30]
    assert during, "the outage was not seen by any client"
    recovered = [min(t for t in d.submitted_at if t > back_at) for d in drivers
                 if any(t > back_at for t in d.submitted_at)]
    assert len(recovered) == THREADS, "not every client got a filing through after the database came back"

    # One log line for the outage (and one for the recovery), not a traceback per request.
    lines = [r for r in caplog.records if r.name == "server.db" and r.levelname == "ERROR"]
    assert 1 <= len(lines) <= 3 and all(r.exc_info is None for r in lines)
    assert any("reachable again" in r.getMessage() for r in caplog.records if r.name == "server.db")

    seen = {fid for d in drivers for fid in d.submitted}
    with outage_app.app_context():
        filings = {f.id: f for f in _db.session.execute(_db.select(Filing)).scalars()}
        events = {}
        for e in _db.session.execute(_db.select(FilingEvent).order_by(FilingEvent.id)).scalars():
            events.setdefault(e.filing_id, []).append(e)
        # Nothing lost: every filing a client saw submitted is there, submitted, with its events.
        for fid in seen:
            f = filings.get(fid)
            assert f is not None and f.status != "draft" and f.number, fid
            assert any(e.action == "submitted" for e in events.get(fid, [])), fid
        # Nothing half-written: a filing is either a draft with no number, or submitted with its
        # number, its submission time and a timeline ending in its status.
        for fid, f in filings.items():
            if f.status == "draft":
                assert f.number is None and f.submitted_at is None, fid
                assert not any(e.action == "submitted" for e in events.get(fid, [])), fid
            else:
                assert f.number and f.submitted_at, fid
                timeline = events.get(fid, [])
                assert any(e.action == "submitted" for e in timeline), fid
                assert [e.to_status for e in timeline if e.to_status][-1] == f.status, fid
        assert set(events) <= set(filings)
        _db.session.remove()
