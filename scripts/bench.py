"""The benchmark: what each request costs and how the cost grows with the data.

    scripts/bench                      # full run on SQLite (and PostgreSQL when a URL is given)
    python scripts/bench.py --quick    # the reduced run of the smoke test
    python scripts/bench.py --db postgres --sizes small,medium --duration 10

It starts the app under gunicorn with production settings (random secrets, WeChat pointed at a fake
server on loopback), plus two baselines under the same gunicorn settings (a bare JSON route and a
one-row primary-key read), loads data at growing sizes with bulk inserts, drives every path with
wrk (pinned to one core, requests replayed by a Lua script) at each concurrency, and writes
bench_results/<run>/report.md, results.json and latency.png. See docs/benchmark.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
LUA = SCRIPTS / "bench_lua" / "requests.lua"
sys.path.insert(0, str(ROOT))

# National channels took 11.73 million filings in 2024 (a leap year).
FILINGS_2024 = 11_730_000
AVERAGE_PER_SECOND = FILINGS_2024 / (366 * 86400)
PEAK_FACTOR = 100

CHAT_DEV_SET = ROOT / "tests" / "data" / "chat_dev_set.jsonl"


@dataclass(frozen=True)
class Size:
    name: str
    institutions: int
    filings: int
    users: int


SIZES = {
    "small": Size("small", 10_000, 10_000, 3_000),
    "medium": Size("medium", 100_000, 100_000, 30_000),
    "large": Size("large", 650_000, 1_000_000, 300_000),
}
QUICK_SIZES = [Size("q1", 300, 300, 100), Size("q2", 900, 900, 300)]


class Unavailable(Exception):
    """The path's endpoint does not exist (yet) in this build, or cannot be prepared."""


# --- processes ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


class Processes:
    """Child processes of one run; all stopped (by their own pid) when the run ends."""

    def __init__(self, log_dir: Path):
        self.procs: list[subprocess.Popen] = []
        self.log_dir = log_dir

    def start(self, name: str, cmd: list[str], env: dict, **kw) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "wb")
        proc = subprocess.Popen(cmd, env=env, stdout=kw.pop("stdout", log), stderr=log, cwd=ROOT,
                                start_new_session=True, **kw)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def gunicorn_cmd(target: str, port: int, workers: int, extra: list[str] = (), *,
                 worker_class: str = "gthread", threads: int = 4) -> list[str]:
    # The same settings for the app and both baselines: gunicorn.conf.py (what scripts/run and
    # production use), the worker class and threads chosen there unless told, no access log.
    return [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--worker-class", worker_class,
            # gunicorn turns sync workers with threads > 1 into gthread ones: sync means one thread.
            "--threads", str(threads if worker_class == "gthread" else 1),
            "--log-level", "warning", "--graceful-timeout", "2", *extra, target]


def worker_pids(master: int) -> list[int]:
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def reset_peak_memory(pids: list[int]) -> bool:
    ok = True
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM (peak resident set)
        except OSError:
            ok = False
    return ok


def peak_memory_mb(pids: list[int]) -> float | None:
    peaks = []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            pass
    return round(max(peaks), 1) if peaks else None


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields_[11]) + int(fields_[12])  # utime, stime
        except (OSError, IndexError):
            pass
    return total / tick


# --- measuring ------------------------------------------------------------------------------------

@dataclass
class RequestList:
    lines: list[tuple[str, str, str, str]]  # method, path, token, body
    once: bool = False  # each line may be sent once (a submit); the run stops when they run out
    # Requests kept in flight meanwhile, `background_conc` at a time ({n}: a fresh number each).
    background: list[tuple[str, str, str]] | None = None  # method, path, body
    background_conc: int = 0


class Background:
    """Slow requests held in flight beside a wrk run (each thread sends its next when one ends)."""

    def __init__(self, base_url: str, reqs: list[tuple[str, str, str]], conc: int):
        import threading

        self.base_url, self.reqs, self.conc = base_url, reqs, conc
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.statuses: dict[str, int] = {}
        self.seconds: list[float] = []
        self.threads = [threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(conc)]

    def _loop(self, i: int) -> None:
        n = 0
        while not self.stop.is_set():
            method, path, body = self.reqs[n % len(self.reqs)]
            body = body.replace("{n}", f"{i}-{n}-{secrets.token_hex(3)}")
            n += 1
            req = urllib.request.Request(self.base_url + path, method=method, data=body.encode(),
                                         headers={"Content-Type": "application/json"})
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(req, timeout=60) as resp:
                    status = str(resp.status)
            except urllib.error.HTTPError as err:
                status = str(err.code)
            except OSError as err:
                status = type(err).__name__
            with self.lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
                self.seconds.append(time.monotonic() - t0)

    def __enter__(self):
        for t in self.threads:
            t.start()
        time.sleep(0.5)  # let them reach the slow upstream first
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=70)

    def summary(self) -> dict:
        with self.lock:
            secs = sorted(self.seconds)
        return {"in_flight": self.conc, "answered": len(secs), "statuses": dict(self.statuses),
                "max_s": round(secs[-1], 2) if secs else None,
                "median_s": round(secs[len(secs) // 2], 2) if secs else None}


def write_list(path: Path, reqs: RequestList) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for method, url, token, body in reqs.lines:
            assert "\t" not in body and "\n" not in body
            f.write(f"{method}\t{url}\t{token}\t{body}\n")


def sample_request(base_url: str, line: tuple[str, str, str, str], once: bool) -> dict:
    """One request by hand before the run: its status and the start of its body, to show in the
    results that the path does what it should (a 200 from a search, not a 404 repeated 5000 times).
    A one-shot line (a submit) is not sent: it would be used up."""
    if once:
        return {"status": None, "body": "(one-shot request, not sampled)"}
    method, path, token, body = line
    path = path.replace("{seq}", "sample")
    body = body.replace("{seq}", "sample")
    req = urllib.request.Request(base_url + path, method=method, data=body.encode() if body else None)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if body:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            status, data = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, data = err.code, err.read()
    ctype = "json" if data[:1] in (b"{", b"[") else "binary"
    text = data[:160].decode("utf-8", "replace") if ctype == "json" else f"<{len(data)} bytes>"
    return {"status": status, "bytes": len(data), "body": text}


def run_wrk(base_url: str, list_file: Path, once: bool, conc: int, duration: float, core: int,
            workers: list[int]) -> dict:
    reset_peak_memory(workers)
    server_cpu0 = cpu_seconds(workers)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = ["wrk", "-t1", f"-c{conc}", f"-d{max(1, round(duration))}s", "--timeout", "10s",
           "-s", str(LUA), base_url, "--", str(list_file), "once" if once else "cycle"]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", str(core), *cmd]
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = cpu_seconds(workers) - server_cpu0
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {proc.stdout[-500:]} {proc.stderr[-500:]}")
    raw = json.loads(line[len("BENCHJSON "):])
    seconds = raw["duration_us"] / 1e6
    requests = raw["requests"]
    useful = min(requests, raw.get("list_len", requests))
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    wrk_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    return {
        "concurrency": conc,
        "requests": requests,
        "seconds": round(seconds, 2),
        "rps": round(useful / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "errors": errors,
        "error_detail": {k: raw[k] for k in ("connect", "read", "write", "status", "timeout") if raw[k]},
        "peak_worker_mb": peak_memory_mb(workers),
        "wrk_cpu_pct": round(100 * wrk_cpu / wall, 1) if wall else None,
        "server_cpu_pct": round(100 * server_cpu / seconds, 1) if seconds else None,
    }


# --- configuration and schema ---------------------------------------------------------------------

def bench_env(db_url: str, work: Path, wechat_base: str, appid: str, app_secret: str) -> dict:
    env = dict(os.environ)
    for key in ("TEST_DATABASE_URL", "BENCH_DATABASE_URL", "REDIS_URL"):
        env.pop(key, None)
    env.update({
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATA_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": db_url,
        "DEV_LOGIN_ENABLED": "0",
        "WECHAT_APPID": appid,
        "WECHAT_SECRET": app_secret,
        "WECHAT_API_BASE": wechat_base,
        "WECHAT_API_BASE_ALLOW_HTTP": "1",
        "PUBLIC_BASE_URL": "https://bench.example.cn",
        "UPLOAD_FOLDER": str(work / "uploads"),
        # Per-address limits would turn a load test from one address into 429s.
        "RATE_LIMIT_LOGIN_PER_MINUTE": "100000000",
        "RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE": "100000000",
        "RATE_LIMIT_VERIFY_PER_MINUTE": "100000000",
        "FLASK_APP": "server.wsgi",
        "ACCESS_LOG": "0",  # gunicorn's access lines would be measured too
        "MAX_REQUESTS": "0",  # no worker recycling mid-run: the measured workers stay the same
        "PYTHONPATH": str(ROOT),
        "HUEY_SQLITE_PATH": str(work / "huey.db"),
        # Messages are written for every status change; templates make the worker send them.
        "WECHAT_TEMPLATES": json.dumps({
            "review_result": {"id": "BENCH-REVIEW", "fields": {"thing1": "filing_type", "phrase2": "result"}},
            "change_result": {"id": "BENCH-CHANGE", "long_term": True,
                              "fields": {"thing1": "filing_type", "phrase2": "result", "thing3": "note"}}}),
    })
    return env


def reset_database(db_url: str) -> None:
    """Empty the bench database (PostgreSQL): every table of the public schema is dropped."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def prepare_schema(env: dict, db_url: str) -> str:
    """`flask db upgrade` when the migration exists and matches the models, else create_all."""
    from sqlalchemy import create_engine, inspect

    from server import models  # noqa: F401
    from server.extensions import db

    versions = ROOT / "migrations" / "versions"
    mode = "create_all"
    if any(versions.glob("*.py")):
        proc = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], env=env, cwd=ROOT,
                              capture_output=True, text=True)
        if proc.returncode == 0:
            engine = create_engine(db_url)
            insp = inspect(engine)
            missing = []
            for table in db.metadata.sorted_tables:
                if not insp.has_table(table.name):
                    missing.append(table.name)
                    continue
                have = {c["name"] for c in insp.get_columns(table.name)}
                missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in have]
            engine.dispose()
            if not missing:
                return "flask db upgrade"
            mode = f"create_all (migration lacks {', '.join(missing[:5])}{'...' if len(missing) > 5 else ''})"
        else:
            mode = "create_all (flask db upgrade failed)"
        _drop_everything(db_url)
    engine = create_engine(db_url)
    db.metadata.create_all(engine)
    engine.dispose()
    return mode


def _drop_everything(db_url: str) -> None:
    from sqlalchemy import create_engine, text

    from server.extensions import db

    engine = create_engine(db_url)
    if engine.dialect.name == "postgresql":
        engine.dispose()
        reset_database(db_url)
        return
    db.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


# --- data -----------------------------------------------------------------------------------------

_HOSPITAL_PATTERNS = [
    "{c}市第{n}人民医院", "{c}市中医院", "{c}市{d}区人民医院", "{c}市妇幼保健院", "{c}医科大学附属第{n}医院",
    "{c}市骨科医院", "{c}市口腔医院", "{c}爱尔眼科医院", "{c}市肿瘤医院", "{c}市康复医院", "{c}市第{n}医院",
    "{c}市{d}区社区卫生服务中心", "{c}市{d}镇卫生院", "{c}仁爱医院", "{c}和平医院", "{c}市儿童医院",
]
_RARE_HOSPITALS = ["{c}协和医院", "{c}华西医院", "北京协和医院{c}分院", "{c}同济医院"]
_PHARMACY_BRANDS = ["老百姓", "益丰", "大参林", "一心堂", "国大", "海王星辰", "漱玉平民", "同仁堂"]
_DISTRICTS = ["东城", "西城", "南山", "江北", "城关", "新华", "高新", "开发", "临江", "河东"]
_LEVELS = [("三级", 0.08), ("二级", 0.15), ("一级", 0.2), ("未定级", 0.57)]
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def _regions() -> list:
    from server.regions.catalogue import get_catalogue

    cat = get_catalogue()
    return [r for p in cat.provinces() for r in cat.pooling_regions(p.code)]


def institution_rows(start: int, end: int, regions: list) -> list[dict]:
    from server.institutions.directory import LEVEL_RANK

    rng = random.Random(start)
    rows = []
    for i in range(start, end):
        region = regions[i % len(regions)]
        city = (region.short_name or region.name).removesuffix("市")
        values = {"c": city, "n": rng.choice("一二三四五六七八"), "d": rng.choice(_DISTRICTS)}
        if i % 10 < 7:
            kind = "hospital"
            pattern = rng.choice(_RARE_HOSPITALS) if i % 997 == 0 else rng.choice(_HOSPITAL_PATTERNS)
            name = pattern.format(**values)
            level = rng.choices([lv for lv, _ in _LEVELS], [w for _, w in _LEVELS])[0]
        else:
            kind = "pharmacy"
            name = f"{rng.choice(_PHARMACY_BRANDS)}大药房{city}第{i % 500 + 1}分店"
            level = "未定级"
        rows.append({
            "code": f"H{i:011d}", "name": name, "region_code": region.code,
            "province_code": region.province_code, "district": values["d"] + "区", "kind": kind,
            "level": level, "level_rank": LEVEL_RANK.get(level, 9), "address": f"{city}市{values['d']}路{i % 900 + 1}号",
            "phone": f"0{rng.randint(100, 999)}-{rng.randint(1000000, 9999999)}",
            "inpatient": kind == "hospital" and level != "未定级", "general_outpatient": True,
            "chronic_outpatient": kind == "hospital" and i % 3 == 0, "chronic_diseases": (i * 37) % 1024 if i % 3 == 0 else 0,
            "is_demo": False,
        })
    return rows


def load_institutions(start: int, end: int, regions: list) -> None:
    """Through the directory's own import function, so its bigram search index is right."""
    from types import SimpleNamespace

    from server.extensions import db

    try:
        from server.institutions.importer import upsert_rows
    except ImportError:
        upsert_rows = None
    from server.institutions.models import Institution

    chunk = 20_000
    for s in range(start, end, chunk):
        rows = institution_rows(s, min(end, s + chunk), regions)
        if upsert_rows is not None:
            upsert_rows([SimpleNamespace(line=0, values=r) for r in rows])
        else:
            db.session.execute(Institution.__table__.insert(), rows)
        db.session.commit()


def id_pool(n: int, data_key: str) -> list[dict]:
    """Well-formed synthetic ID numbers (valid check digit), encrypted and hashed as the app does."""
    from stdnum.cn import ric

    from server.common import crypto
    from server.common.idnumbers import mask_id

    rng = random.Random(7)
    counties = ["110105", "310104", "440305", "510104", "330106", "420106", "360402", "350203"]
    out = []
    for i in range(n):
        birth = date(1950, 1, 1) + timedelta(days=rng.randint(0, 20000))
        first17 = f"{counties[i % len(counties)]}{birth:%Y%m%d}{i % 1000:03d}"
        number = first17 + ric.calc_check_digit(first17)
        out.append({"number": number, "enc": crypto.encrypt(number, data_key),
                    "hash": crypto.lookup_hash(number, data_key), "masked": mask_id(number)})
    return out


def person_name(i: int) -> str:
    return _SURNAMES[i % len(_SURNAMES)] + _GIVEN[(i // 7) % len(_GIVEN)] + _GIVEN[(i // 3) % len(_GIVEN)]


def load_users(start: int, end: int, ids: list[dict], regions: list) -> None:
    from server.accounts.models import User
    from server.extensions import db

    try:
        from server.filing.consent import PRIVACY_VERSION
    except ImportError:
        PRIVACY_VERSION = None
    now = datetime.now(timezone.utc)
    chunk = 10_000
    for s in range(start, end, chunk):
        rows = []
        for i in range(s, min(end, s + chunk)):
            p = ids[i % len(ids)]
            rows.append({
                "openid": f"bench-user-{i}", "name": person_name(i), "id_number_enc": p["enc"],
                "id_number_hash": p["hash"], "id_number_masked": p["masked"],
                "phone": f"138{i:08d}"[-11:], "default_insured_region_code": regions[i % len(regions)].code,
                "default_scheme": "employee" if i % 3 else "resident",
                "privacy_version": PRIVACY_VERSION, "privacy_accepted_at": now if PRIVACY_VERSION else None,
                "created_at": now,
            })
        db.session.execute(User.__table__.insert(), rows)
        db.session.commit()


_STATUS_MIX = ["approved"] * 12 + ["pending_review"] * 3 + ["expired"] * 2 + ["cancelled", "rejected", "draft"]
_TYPES = ["retiree_relocated", "long_term_resident", "resident_worker", "referral", "emergency",
          "other_temporary"]


def loaded_user_ids() -> list[int]:
    from server.accounts.models import User
    from server.extensions import db

    return list(db.session.execute(db.select(User.id).where(User.openid.like("bench-user-%"))
                                   .order_by(User.id)).scalars())


def load_filings(start: int, end: int, user_ids: list[int], ids: list[dict], regions: list) -> None:
    from server.extensions import db
    from server.filing.models import Filing, FilingEvent

    now = datetime.now(timezone.utc)
    chunk = 10_000
    for s in range(start, end, chunk):
        filings, events = [], []
        for i in range(s, min(end, s + chunk)):
            owner = i % len(user_ids)  # round robin: every user has filings/users of them
            p = ids[owner % len(ids)]
            status = _STATUS_MIX[(i * 7) % len(_STATUS_MIX)]
            ftype = _TYPES[i % len(_TYPES)]
            insured = regions[owner % len(regions)]
            visit = regions[(owner * 31 + 17) % len(regions)]
            start_date = date(2024, 1, 1) + timedelta(days=i % 700)
            end_date = start_date + timedelta(days=180) if ftype in ("referral", "emergency", "other_temporary") else None
            created = now - timedelta(days=(end - i) % 700, seconds=i % 86400)
            submitted = created + timedelta(minutes=10) if status != "draft" else None
            filings.append({
                "number": f"BF{i:012d}" if status != "draft" else None, "owner_id": user_ids[owner],
                "person_name": person_name(owner), "person_id_enc": p["enc"], "person_id_hash": p["hash"],
                "person_id_masked": p["masked"], "insured_region_code": insured.code,
                "visit_region_code": visit.code, "scheme": "employee" if owner % 3 else "resident",
                "filing_type": ftype, "start_date": start_date, "end_date": end_date,
                "contact_name": person_name(owner), "contact_phone": f"139{i:08d}"[-11:],
                "address": f"{visit.name}幸福路{i % 300 + 1}号", "notice_version": "v1",
                "notice_accepted_at": created, "proof_mode": "commitment" if i % 2 else "uploaded",
                "status": status, "source": "wizard", "submitted_at": submitted,
                "decided_at": submitted + timedelta(days=2) if status in ("approved", "rejected") else None,
                "approved_on": (submitted + timedelta(days=2)).date() if status == "approved" else None,
                "created_at": created, "updated_at": submitted or created,
            })
            events.append({"at": submitted, "actor_kind": "user", "actor_id": user_ids[owner],
                           "action": "submitted", "from_status": "draft", "to_status": "pending_review"}
                          if submitted else None)
        table = Filing.__table__
        new_ids = db.session.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True),
                                     filings).scalars().all()
        events = [{**e, "filing_id": fid} for e, fid in zip(events, new_ids) if e]
        if events:
            db.session.execute(FilingEvent.__table__.insert(), events)
        db.session.commit()


def analyze() -> None:
    from sqlalchemy import text

    from server.extensions import db

    db.session.execute(text("ANALYZE"))
    db.session.commit()


# --- the paths ------------------------------------------------------------------------------------

@dataclass
class Ctx:
    app: object
    base_url: str
    size: Size
    tag: str
    regions: list
    rng: random.Random
    state: dict = field(default_factory=dict)

    def probe(self, method: str, path: str) -> None:
        from werkzeug.exceptions import MethodNotAllowed, NotFound

        try:
            self.app.url_map.bind("localhost").match(path.split("?")[0], method=method)
        except (NotFound, MethodNotAllowed):
            raise Unavailable(f"no endpoint {method} {path.split('?')[0]}") from None

    def user_tokens(self, n: int) -> list[tuple[int, str]]:
        """Tokens of n distinct loaded users (issued as the login would)."""
        from server.accounts.models import User
        from server.accounts.tokens import issue_token
        from server.extensions import db

        loaded = self.state["user_ids"]
        ids = self.rng.sample(loaded, min(n, len(loaded)))
        out = []
        for uid in ids:
            token, _ = issue_token(user=db.session.get(User, uid))
            out.append((uid, token))
        db.session.commit()
        return out

    def api(self, method: str, path: str, token: str | None = None, body: dict | None = None,
            expect: tuple[int, ...] = (200, 201)) -> dict:
        client = self.app.test_client()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = client.open(path, method=method, json=body, headers=headers)
        if resp.status_code not in expect:
            raise Unavailable(f"{method} {path} answered {resp.status_code}: {resp.get_data(as_text=True)[:200]}")
        return resp.get_json(silent=True) or {}


def j(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def p_login(ctx: Ctx) -> RequestList:
    ctx.probe("POST", "/api/v1/auth/wechat")
    # A fresh code per request ({seq}): a repeated code is answered from the de-duplication cache.
    return RequestList([("POST", "/api/v1/auth/wechat", "", j({"code": f"ok-bench-{ctx.tag}-{{seq}}"}))])


# WeChat answering a login after this long (the slow-WeChat login path).
SLOW_WECHAT_MS = 1000
# Logins held on a WeChat that trickles a byte every 2 s (each ends at the WECHAT_TIMEOUT deadline).
TRICKLING_LOGINS = 4


def p_login_slow_wechat(ctx: Ctx) -> RequestList:
    """Logins while WeChat takes SLOW_WECHAT_MS to answer each: how many workers one slow upstream holds."""
    ctx.probe("POST", "/api/v1/auth/wechat")
    return RequestList([("POST", "/api/v1/auth/wechat", "",
                         j({"code": f"slow-{SLOW_WECHAT_MS}-bench-{ctx.tag}-{{seq}}"}))])


def p_regions_trickling_wechat(ctx: Ctx) -> RequestList:
    """The region cascade while TRICKLING_LOGINS logins wait on a WeChat sending a byte every 2 s."""
    reqs = p_regions(ctx)
    reqs.background = [("POST", "/api/v1/auth/wechat", j({"code": f"trickle-bench-{ctx.tag}-{{n}}"}))]
    reqs.background_conc = TRICKLING_LOGINS
    return reqs


def p_regions(ctx: Ctx) -> RequestList:
    ctx.probe("GET", "/api/v1/regions")
    return RequestList([("GET", "/api/v1/regions", "", ""), ("GET", "/api/v1/regions?purpose=insured", "", "")])


def _search_list(ctx: Ctx, make: Callable[[object], str]) -> RequestList:
    ctx.probe("GET", "/api/v1/institutions")
    regions = ctx.rng.sample(ctx.regions, min(60, len(ctx.regions)))
    return RequestList([("GET", "/api/v1/institutions?" + make(r), "", "") for r in regions])


def p_search_browse(ctx: Ctx) -> RequestList:
    """A city's hospitals of one level (no keyword)."""
    return _search_list(ctx, lambda r: f"region={r.code}&kind=hospital&level=%E4%B8%89%E7%BA%A7")


def p_search_kw2(ctx: Ctx) -> RequestList:
    """A two-character keyword across the whole country (协和 / 华西 / 同济)."""
    words = ["%E5%8D%8F%E5%92%8C", "%E5%8D%8E%E8%A5%BF", "%E5%90%8C%E6%B5%8E"]
    ctx.probe("GET", "/api/v1/institutions")
    return RequestList([("GET", f"/api/v1/institutions?keyword={w}", "", "") for w in words])


def p_search_kw_region(ctx: Ctx) -> RequestList:
    """A common keyword inside one city (人民医院), hospitals only."""
    return _search_list(ctx, lambda r: f"region={r.code}&keyword=%E4%BA%BA%E6%B0%91%E5%8C%BB%E9%99%A2&kind=hospital")


def p_records(ctx: Ctx) -> RequestList:
    ctx.probe("GET", "/api/v1/records")
    return RequestList([("GET", "/api/v1/records", tok, "") for _, tok in ctx.user_tokens(50)])


def p_detail(ctx: Ctx) -> RequestList:
    ctx.probe("GET", "/api/v1/records/1")
    from server.extensions import db
    from server.filing.models import Filing

    lines = []
    for uid, tok in ctx.user_tokens(50):
        fid = db.session.execute(db.select(Filing.id).where(Filing.owner_id == uid, Filing.status != "draft")
                                 .limit(1)).scalar()
        if fid:
            lines.append(("GET", f"/api/v1/records/{fid}", tok, ""))
    return RequestList(lines)


def _fresh_users(ctx: Ctx, n: int) -> list[tuple[int, str]]:
    """New users with a complete profile (name, ID number, consent), one filing each: a person
    can hold one active filing, so every submitted draft needs its own person."""
    from stdnum.cn import ric

    from server.accounts.models import User
    from server.accounts.tokens import issue_token
    from server.common import crypto
    from server.common.idnumbers import mask_id
    from server.extensions import db

    try:
        from server.filing.consent import PRIVACY_VERSION
    except ImportError:
        PRIVACY_VERSION = None
    key = ctx.app.config["DATA_KEY"]
    base = ctx.state.setdefault("fresh_user_seq", 0)
    ctx.state["fresh_user_seq"] = base + n
    out = []
    for i in range(base, base + n):
        birth = date(1950, 1, 1) + timedelta(days=i // 1000)
        first17 = f"360402{birth:%Y%m%d}{i % 1000:03d}"
        number = first17 + ric.calc_check_digit(first17)
        user = User(openid=f"bench-fresh-{ctx.tag}-{i}", name=person_name(i),
                    id_number_enc=crypto.encrypt(number, key), id_number_hash=crypto.lookup_hash(number, key),
                    id_number_masked=mask_id(number), phone=f"137{i:08d}"[-11:],
                    default_insured_region_code="360400", default_scheme="employee",
                    privacy_version=PRIVACY_VERSION,
                    privacy_accepted_at=datetime.now(timezone.utc) if PRIVACY_VERSION else None)
        db.session.add(user)
        db.session.flush()
        token, _ = issue_token(user=user)
        out.append((user.id, token))
    db.session.commit()
    return out


def _draft_body(step: int, i: int) -> dict:
    if step == 0:
        return {"insured_region_code": "360400", "visit_region_code": "350200", "scheme": "employee",
                "filing_type": "other_temporary"}
    if step == 1:
        start = date.today()
        return {"start_date": start.isoformat(), "end_date": (start + timedelta(days=200)).isoformat()}
    return {"contact_name": person_name(i), "contact_phone": f"1371{i % 10_000_000:07d}", "address": "厦门市思明区演武路1号"}


def p_draft_steps(ctx: Ctx) -> RequestList:
    ctx.probe("PATCH", "/api/v1/filings/1")
    users = _fresh_users(ctx, 40)
    lines = []
    for k, (_, tok) in enumerate(users):
        draft = ctx.api("POST", "/api/v1/filings", tok, {"applicant": "self"})
        fid = draft.get("id")
        for step in range(3):
            lines.append(("PATCH", f"/api/v1/filings/{fid}", tok, j(_draft_body(step, k))))
    return RequestList(lines)


def p_submit(ctx: Ctx) -> RequestList:
    ctx.probe("POST", "/api/v1/filings/1/submit")
    n = ctx.state.get("submit_pool", 400)
    users = _fresh_users(ctx, n)
    lines = []
    for k, (_, tok) in enumerate(users):
        draft = ctx.api("POST", "/api/v1/filings", tok, {"applicant": "self", **_draft_body(0, k),
                                                           **_draft_body(1, k), **_draft_body(2, k)})
        fid = draft["id"]
        notice = ctx.api("GET", "/api/v1/notices/360400/other_temporary", tok)
        ctx.api("POST", f"/api/v1/filings/{fid}/notice", tok, {"version": notice.get("version"), "accepted": True})
        lines.append(("POST", f"/api/v1/filings/{fid}/submit", tok, "{}"))
    return RequestList(lines, once=True)


def _chat_texts() -> list[str]:
    texts = []
    with open(CHAT_DEV_SET, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                texts.extend(json.loads(line)["turns"])
    return texts


def p_chat(ctx: Ctx) -> RequestList:
    ctx.probe("POST", "/api/v1/chat/sessions")
    ctx.probe("POST", "/api/v1/chat/sessions/1/messages")
    texts = _chat_texts()
    lines = []
    for k, (_, tok) in enumerate(ctx.user_tokens(30)):
        sid = ctx.api("POST", "/api/v1/chat/sessions", tok, {})["session_id"]
        for t in texts[k::30][:6]:
            body = {"text": t, "sent_at": datetime.now(timezone.utc).isoformat()}
            lines.append(("POST", f"/api/v1/chat/sessions/{sid}/messages", tok, j(body)))
    return RequestList(lines)


def _staff(ctx: Ctx, role: str) -> tuple[object, str]:
    from server.accounts.models import StaffAccount
    from server.accounts.tokens import issue_token
    from server.extensions import db

    key = f"staff_{role}"
    if key not in ctx.state:
        from server.institutions.models import Institution

        inst = db.session.execute(db.select(Institution).order_by(Institution.id).limit(1)).scalar_one()
        staff = StaffAccount(username=f"bench-{role}-{secrets.token_hex(4)}", display_name="压测",
                             password_hash="!", role=role, region_codes=[], institution_id=inst.id, active=True)
        db.session.add(staff)
        db.session.flush()
        ctx.state[key] = staff.id
    staff = db.session.get(StaffAccount, ctx.state[key])
    token, _ = issue_token(staff=staff)
    db.session.commit()
    return staff, token


def p_verify(ctx: Ctx) -> RequestList:
    ctx.probe("POST", "/api/v1/staff/verify")
    from server.extensions import db
    from server.filing.models import Filing
    from server.records.voucher import make_voucher

    _, tok = _staff(ctx, "counter")
    approved = db.session.execute(db.select(Filing).where(Filing.status == "approved")
                                  .order_by(Filing.id).limit(50)).scalars().all()
    return RequestList([("POST", "/api/v1/staff/verify", tok, j({"voucher": make_voucher(f)})) for f in approved])


def p_qr(ctx: Ctx) -> RequestList:
    from server.extensions import db
    from server.institutions.models import CounterCode

    staff, tok = _staff(ctx, "counter")
    path = ctx.state.get("qr_path", "/api/v1/staff/counter-codes/{id}.png")
    ctx.probe("GET", path.format(id=1))
    codes = []
    for k in range(5):
        code = CounterCode(institution_id=staff.institution_id, counter_name=f"住院处{k + 1}号窗口")
        db.session.add(code)
        db.session.flush()
        codes.append(code.id)
    db.session.commit()
    return RequestList([("GET", path.format(id=c), tok, "") for c in codes])


def _pending_filings(ctx: Ctx, n: int, insured: str) -> list[int]:
    """Submitted filings awaiting review, each for its own new person."""
    from server.extensions import db
    from server.filing.models import Filing

    now = datetime.now(timezone.utc)
    ids = []
    for uid, _ in _fresh_users(ctx, n):
        f = Filing(owner_id=uid, person_name="压测", insured_region_code=insured, visit_region_code="350200",
                   scheme="employee", filing_type="referral", start_date=date.today(),
                   end_date=date.today() + timedelta(days=180), contact_name="压测", contact_phone="13700000000",
                   notice_version="v1", notice_accepted_at=now, proof_mode="uploaded", status="pending_review",
                   source="wizard", submitted_at=now, review_due_at=now + timedelta(days=2),
                   created_at=now, updated_at=now)
        db.session.add(f)
        db.session.flush()
        f.number = f"BR{f.id:012d}"
        ids.append(f.id)
    db.session.commit()
    return ids


def _reviewer(ctx: Ctx, region: str) -> str:
    from server.accounts.models import StaffAccount
    from server.accounts.tokens import issue_token
    from server.extensions import db

    staff = StaffAccount(username=f"bench-reviewer-{secrets.token_hex(4)}", display_name="压测", password_hash="!",
                         role="reviewer", region_codes=[region], active=True)
    db.session.add(staff)
    db.session.flush()
    token, _ = issue_token(staff=staff)
    db.session.commit()
    return token


def p_review_approve(ctx: Ctx) -> RequestList:
    """A status change with its outbox row: the review result message is written in the same
    transaction as the approval."""
    ctx.probe("POST", "/api/v1/staff/review/filings/1/approve")
    tok = _reviewer(ctx, "360400")
    ids = _pending_filings(ctx, ctx.state.get("approve_pool", 400), "360400")
    return RequestList([("POST", f"/api/v1/staff/review/filings/{fid}/approve", tok, "{}") for fid in ids],
                       once=True)


def measure_delivery(ctx: Ctx, n: int = 300) -> dict:
    """The worker's delivery rate against the fake WeChat: n outbox rows of users with a long-term
    subscription, delivered by the worker's own function in this process."""
    from server.extensions import db
    from server.filing.models import Filing
    from server.notifications import templates
    from server.notifications.models import Subscription
    from server.notifications.outbox import enqueue
    from server.tasks import run_delivery

    template = templates.for_kind(ctx.app.config, "cancelled")
    if template is None:
        raise Unavailable("no change_result template configured")
    now = datetime.now(timezone.utc)
    filings = db.session.scalars(db.select(Filing).where(Filing.status == "approved").limit(n)).all()
    owners = {f.owner_id for f in filings}
    existing = set(db.session.scalars(db.select(Subscription.user_id).where(Subscription.template_id == template.id)))
    for uid in owners - existing:
        db.session.add(Subscription(user_id=uid, template_id=template.id, long_term=True, remaining=0,
                                    last_answer="accept", updated_at=now))
    for f in filings:
        enqueue(f.owner_id, f, "cancelled")
    db.session.commit()
    t0 = time.perf_counter()
    sent = 0
    while True:
        batch = run_delivery()["sent"]
        if not batch:
            break
        sent += batch
    seconds = time.perf_counter() - t0
    return {"messages": len(filings), "sent": sent, "seconds": round(seconds, 2),
            "per_second": round(sent / seconds, 1) if seconds else None}


@dataclass(frozen=True)
class Path_:
    name: str
    label: str
    prepare: Callable[[Ctx], RequestList]
    read: bool = False  # compared with the one-row baseline at 60%
    grows: bool = False  # measured at every data size
    fast: bool = False  # the 20 ms target at concurrency 1


PATHS = [
    Path_("login", "登录 POST /auth/wechat", p_login),
    Path_("login_slow_wechat", f"登录，微信 {SLOW_WECHAT_MS} ms 才答", p_login_slow_wechat),
    Path_("regions_trickling_wechat", f"地区级联，同时 {TRICKLING_LOGINS} 个登录卡在逐字节的微信上",
          p_regions_trickling_wechat, read=True),
    Path_("regions", "地区级联 GET /regions", p_regions, read=True),
    Path_("search_browse", "机构搜索：城市+等级", p_search_browse, read=True, grows=True, fast=True),
    Path_("search_kw2", "机构搜索：两字关键词全国", p_search_kw2, read=True, grows=True, fast=True),
    Path_("search_kw_region", "机构搜索：城市+关键词", p_search_kw_region, read=True, grows=True, fast=True),
    Path_("draft_steps", "草稿分步 PATCH /filings/<id>", p_draft_steps),
    Path_("submit", "提交 POST /filings/<id>/submit", p_submit),
    Path_("records", "备案记录 GET /records", p_records, read=True, grows=True),
    Path_("detail", "备案详情 GET /records/<id>", p_detail, read=True),
    Path_("chat", "对话一轮 POST /chat/.../messages", p_chat, grows=True, fast=True),
    Path_("verify", "窗口核验 POST /staff/verify", p_verify),
    Path_("review_approve", "审核通过（含消息写入）POST /staff/review/filings/<id>/approve", p_review_approve),
    Path_("qr", "二维码 GET /staff/counter-codes/<id>.png", p_qr, read=True),
]
SEARCH_PATHS = {"search_browse", "search_kw2", "search_kw_region"}
SLOW_UPSTREAM_PATHS = {"login_slow_wechat", "regions_trickling_wechat"}


# --- the run --------------------------------------------------------------------------------------

def measure_path(ctx: Ctx, path: Path_, base_url: str, work: Path, concs: list[int], duration: float,
                 core: int, workers: list[int], log: Callable[[str], None]) -> dict:
    out = {}
    for conc in concs:
        ctx.tag = f"{ctx.size.name}-{path.name}-c{conc}-{secrets.token_hex(3)}"
        if path.name == "submit":
            # Enough one-shot drafts for the run: a guess from the previous concurrency's rate.
            prev = max((m.get("rps", 0) for m in out.values()), default=0)
            ctx.state["submit_pool"] = int(min(8000, max(60, (prev * 3 if prev else 250) * duration)))
        with ctx.app.app_context():
            reqs = path.prepare(ctx)
        if not reqs.lines:
            raise Unavailable("nothing to request (no suitable rows)")
        list_file = work / f"{ctx.tag}.tsv"
        write_list(list_file, reqs)
        sample = sample_request(base_url, reqs.lines[-1] if reqs.once else reqs.lines[0], reqs.once)
        if reqs.background:
            with Background(base_url, reqs.background, reqs.background_conc) as bg:
                m = run_wrk(base_url, list_file, reqs.once, conc, duration, core, workers)
            m["background"] = bg.summary()
        else:
            m = run_wrk(base_url, list_file, reqs.once, conc, duration, core, workers)
        if reqs.once:
            m["rps"] = round(min(m["requests"], len(reqs.lines)) / m["seconds"], 1) if m["seconds"] else 0
            m["one_shot_pool"] = len(reqs.lines)
            # wrk keeps the clock running after the pool is used up (cheap /healthz fillers follow):
            # the rate is then a lower bound and the latencies are mixed with the fillers'.
            m["pool_exhausted"] = m["requests"] > len(reqs.lines)
        m["sample"] = sample
        out[f"c{conc}"] = m
        log(f"  {path.name:18s} c{conc}: {m['rps']:8.1f} rps  p50 {m['p50_ms']:7.2f}  p95 {m['p95_ms']:7.2f} ms"
            f"  errors {m['errors']} (sample {sample['status']})  peak {m['peak_worker_mb']} MB  wrk cpu {m['wrk_cpu_pct']}%"
            + (f"  background {m['background']}" if "background" in m else ""))
    return out


def measure_startup(log: Callable[[str], None], env: dict) -> dict:
    """Seconds from `scripts/run` to its "Serving on" line: the first start here (may install or
    migrate) and a warm one right after, as a person would see them."""
    out = {}
    for label in ("first", "warm"):
        port = free_port()
        run_env = {**env, "HOST": "127.0.0.1", "PORT": str(port), "METRICS_BIND": "off"}
        t0 = time.monotonic()
        proc = subprocess.Popen([str(SCRIPTS / "run")], env=run_env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, start_new_session=True, text=True)
        seconds = None
        try:
            for line in proc.stdout:
                if line.startswith("Serving on"):
                    seconds = round(time.monotonic() - t0, 2)
                    break
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        out[f"{label}_s"] = seconds
        log(f"scripts/run {label} start: {seconds} s")
    return out


def run(opts) -> dict:
    sizes = QUICK_SIZES if opts.quick else [SIZES[s] for s in opts.sizes.split(",")]
    # Quick: 2 s, because a one-shot path's first request in a cold worker can take over a second on
    # a loaded machine, and a 1 s window then counts no request at all.
    duration = opts.duration or (2 if opts.quick else 10)
    concs = [int(c) for c in opts.concurrency.split(",")]
    only = set(opts.paths.split(",")) if opts.paths else None
    log = (lambda msg: None) if opts.silent else (lambda msg: print(msg, file=sys.stderr, flush=True))
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (scripts/bench installs it with apt-get)")

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    out_dir = Path(opts.out) / f"{stamp}-{opts.db}{'-quick' if opts.quick else ''}"
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    if opts.db == "postgres":
        db_url = opts.database_url or os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
        if not db_url:
            raise SystemExit("--db postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL")
        reset_database(db_url)
    else:
        db_url = f"sqlite:///{work / 'bench.db'}"

    if opts.startup if opts.startup is not None else not opts.quick:
        startup = measure_startup(log, dict(os.environ))
    else:
        startup = None
    t_start = time.monotonic()
    appid, app_secret = "wx-bench-" + secrets.token_hex(4), secrets.token_urlsafe(24)
    procs = Processes(work)
    cores = os.cpu_count() or 1
    wrk_core = cores - 1
    result = {"meta": {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "db": opts.db,
        "database": db_url.split("@")[-1] if opts.db == "postgres" else "sqlite file",
        "workers": opts.workers, "worker_class": opts.worker_class, "threads": opts.threads,
        "duration_s": duration, "concurrency": concs, "cpus": cores,
        "wrk_core": wrk_core, "python": platform.python_version(), "quick": bool(opts.quick),
        "machine": platform.machine(), "startup": startup,
    }, "sizes": [], "baselines": {}, "paths": {}}
    try:
        fake = procs.start("fake_wechat", [sys.executable, str(SCRIPTS / "bench_fake_wechat.py"),
                                           "--appid", appid, "--secret", app_secret],
                           dict(os.environ), stdout=subprocess.PIPE)
        ready = fake.stdout.readline().decode().split()
        wechat_base = f"http://127.0.0.1:{ready[1]}"
        env = bench_env(db_url, work, wechat_base, appid, app_secret)
        (work / "uploads").mkdir()
        os.environ.update({k: v for k, v in env.items()})
        result["meta"]["schema"] = prepare_schema(env, db_url)
        log(f"schema: {result['meta']['schema']}; database {result['meta']['database']}")

        app_port, base_port = free_port(), free_port()
        kinds = {"worker_class": opts.worker_class, "threads": opts.threads}
        app_env = {**env, "METRICS_BIND": f"127.0.0.1:{free_port()}"}
        app_proc = procs.start("app", gunicorn_cmd("server.wsgi:app", app_port, opts.workers, **kinds), app_env)
        base_proc = procs.start("baseline", gunicorn_cmd("bench_baseline:app", base_port, opts.workers,
                                                         ["--pythonpath", str(SCRIPTS)], **kinds),
                                {**env, "METRICS_BIND": "off"})
        from server import create_app

        app = create_app()  # in this process: loads the data and issues tokens, same configuration
        app_url, base_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{base_port}"
        wait_http(app_url + "/readyz", app_proc)
        wait_http(base_url + "/json", base_proc)

        regions = _regions()
        ids = None
        loaded = Size("empty", 0, 0, 0)
        rng = random.Random(1)
        state: dict = {}
        log(f"servers ready after {time.monotonic() - t_start:.1f}s")
        for n, size in enumerate(sizes):
            t0 = time.monotonic()
            with app.app_context():
                ids = ids or id_pool(1000, app.config["DATA_KEY"])
                load_institutions(loaded.institutions, size.institutions, regions)
                load_users(loaded.users, size.users, ids, regions)
                state["user_ids"] = user_ids = loaded_user_ids()
                # Filings are laid round robin over users: reload from scratch if users grew.
                if size.users != loaded.users and loaded.filings:
                    _delete_filings()
                    load_filings(0, size.filings, user_ids, ids, regions)
                else:
                    load_filings(loaded.filings, size.filings, user_ids, ids, regions)
                sync_sequences()
                analyze()
            loaded = size
            load_s = round(time.monotonic() - t0, 1)
            result["sizes"].append({"name": size.name, "institutions": size.institutions,
                                    "filings": size.filings, "users": size.users, "load_seconds": load_s})
            log(f"size {size.name}: {size.institutions} institutions, {size.filings} filings, "
                f"{size.users} users (loaded in {load_s}s)")

            app_workers, base_workers = worker_pids(app_proc.pid), worker_pids(base_proc.pid)
            if n == 0 or not opts.quick:
                bl = {}
                for name in ("json", "row"):
                    list_file = work / f"baseline-{name}.tsv"
                    write_list(list_file, RequestList([("GET", f"/{name}", "", "")]))
                    bl[name] = {f"c{c}": run_wrk(base_url, list_file, False, c, duration, wrk_core, base_workers)
                                for c in concs}
                    log(f"  baseline {name:9s} " + "  ".join(
                        f"c{c}: {bl[name][f'c{c}']['rps']} rps p95 {bl[name][f'c{c}']['p95_ms']} ms" for c in concs))
                result["baselines"][size.name] = bl
            ctx = Ctx(app=app, base_url=app_url, size=size, tag="", regions=regions, rng=rng, state=state)
            for path in PATHS:
                if only and path.name not in only:
                    continue
                if opts.quick and not only and path.name in SLOW_UPSTREAM_PATHS:
                    continue  # each holds requests for seconds: not for the smoke run
                if n > 0 and not path.grows:
                    continue
                entry = result["paths"].setdefault(path.name, {"label": path.label, "read": path.read,
                                                               "grows": path.grows, "sizes": {}})
                if entry.get("available") is False:
                    continue
                try:
                    entry["sizes"][size.name] = measure_path(ctx, path, app_url, work, concs, duration,
                                                             wrk_core, app_workers, log)
                    entry["available"] = True
                except Unavailable as exc:
                    entry["available"] = False
                    entry["reason"] = str(exc)
                    log(f"  {path.name:18s} not available: {exc}")
                    with app.app_context():
                        from server.extensions import db
                        db.session.rollback()
        if not only or "delivery" in only:
            with app.app_context():
                try:
                    result["delivery"] = measure_delivery(ctx)
                    log(f"  worker delivery: {result['delivery']}")
                except Unavailable as exc:
                    result["delivery"] = {"available": False, "reason": str(exc)}
    finally:
        procs.stop()
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)

    add_ratios(result)
    result["targets"] = evaluate_targets(result)
    result["headroom"] = headroom(result)
    (out_dir / "results.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "report.md").write_text(markdown(result), encoding="utf-8")
    try:
        chart(result, out_dir / "latency.png")
    except ImportError:
        log("matplotlib is missing: no chart")
    result["out_dir"] = str(out_dir)
    log(f"results in {out_dir}")
    return result


def _delete_filings() -> None:
    """Filings and every row that points at one (events, documents, accesses, made by the last size)."""
    from server.extensions import db
    from server.filing.models import Filing

    dependents = [t for t in reversed(db.metadata.sorted_tables)
                  if any(fk.column.table is Filing.__table__ for fk in t.foreign_keys) and t is not Filing.__table__]
    for table in dependents:
        db.session.execute(table.delete())
    db.session.execute(Filing.__table__.update().values(superseded_by_id=None))
    db.session.execute(Filing.__table__.delete())
    db.session.commit()


def sync_sequences() -> None:
    """PostgreSQL: rows were inserted with explicit ids, so move each id sequence past them."""
    from sqlalchemy import text

    from server.extensions import db

    if db.engine.dialect.name != "postgresql":
        return
    for table in db.metadata.sorted_tables:
        if "id" in table.c and table.c.id.autoincrement is not False and table.c.id.type.python_type is int:
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"GREATEST((SELECT max(id) FROM \"{table.name}\"), 1))"))
    db.session.commit()


# --- the report -----------------------------------------------------------------------------------

def _baseline_for(result: dict, size: str) -> dict:
    return result["baselines"].get(size) or next(iter(result["baselines"].values()), {})


def add_ratios(result: dict) -> None:
    for entry in result["paths"].values():
        for size, by_conc in entry.get("sizes", {}).items():
            bl = _baseline_for(result, size)
            for conc, m in by_conc.items():
                for name in ("json", "row"):
                    ref = bl.get(name, {}).get(conc, {}).get("rps")
                    m[f"ratio_{name}"] = round(m["rps"] / ref, 3) if ref else None


def _target(name: str, value, limit: str, met) -> dict:
    return {"target": name, "value": value, "limit": limit,
            "met": "not measured" if met is None else ("met" if met else "missed")}


def evaluate_targets(result: dict) -> list[dict]:
    out = []
    paths = {k: v for k, v in result["paths"].items() if v.get("available")}
    sizes = {s["name"]: s for s in result["sizes"]}
    for name, entry in paths.items():
        runs = [(s, m) for s, by in entry["sizes"].items() for c, m in by.items() if c == "c8"]
        if entry["read"] and runs:
            worst = min(m.get("ratio_row") or 0 for _, m in runs)
            out.append(_target(f"{name}: c8 rps / one-row baseline", worst, ">= 0.60", worst >= 0.6))
        if name == "submit" and runs:
            worst = min(m.get("ratio_row") or 0 for _, m in runs)
            out.append(_target("submit: c8 rps / one-row baseline", worst, ">= 0.25", worst >= 0.25))
        c1 = [(s, m) for s, by in entry["sizes"].items() for c, m in by.items() if c == "c1"]
        if c1:
            worst = max(m["p95_ms"] for _, m in c1)
            out.append(_target(f"{name}: c1 p95 (ms), every size", worst, "< 50", worst < 50))
        if name in SEARCH_PATHS:
            big = [m for s, m in c1 if sizes[s]["institutions"] >= 650_000]
            value = max(m["p95_ms"] for m in big) if big else None
            out.append(_target(f"{name}: c1 p95 (ms) at 650,000 institutions", value, "< 20",
                               None if value is None else value < 20))
        if name == "chat" and c1:
            worst = max(m["p95_ms"] for _, m in c1)
            out.append(_target("chat: c1 p95 (ms)", worst, "< 20", worst < 20))
        if entry["grows"]:
            order = [s for s in sizes if s in entry["sizes"] and "c1" in entry["sizes"][s]]
            if len(order) >= 2:
                first, last = entry["sizes"][order[0]]["c1"], entry["sizes"][order[-1]]["c1"]
                ratio = round(last["p50_ms"] / first["p50_ms"], 2) if first["p50_ms"] else None
                out.append(_target(f"{name}: c1 p50 growth {order[0]} -> {order[-1]}", ratio, "<= 2.0",
                                   None if ratio is None else ratio <= 2.0))
            else:
                out.append(_target(f"{name}: growth over data sizes", None, "<= 2.0", None))
    for name, entry in result["paths"].items():
        if not entry.get("available"):
            out.append(_target(f"{name}: endpoint", "not available", "exists", None))
    peaks = [m["peak_worker_mb"] for e in paths.values() for by in e["sizes"].values() for m in by.values()
             if m.get("peak_worker_mb")]
    peak = max(peaks) if peaks else None
    out.append(_target("peak resident memory per worker (MB)", peak, "< 150", None if peak is None else peak < 150))
    return out


def headroom(result: dict) -> dict:
    peak = AVERAGE_PER_SECOND * PEAK_FACTOR
    out = {"filings_2024": FILINGS_2024, "average_per_s": round(AVERAGE_PER_SECOND, 3),
           "peak_per_s": round(peak, 1), "machine": f"{result['meta']['cpus']} cores, {result['meta']['workers']} workers"}

    def rps(name):
        entry = result["paths"].get(name, {})
        if not entry.get("available"):
            return None
        first = next(iter(entry["sizes"].values()), {})
        return first.get("c8", {}).get("rps") or None

    submit = rps("submit")
    out["submit_c8_rps"] = submit
    out["submit_headroom"] = round(submit / peak, 1) if submit else None
    # One filing's requests end to end: login, regions, one search, three steps, submit.
    flow = {"login": 1, "regions": 1, "search_kw_region": 1, "draft_steps": 3, "submit": 1}
    rates = {k: rps(k) for k in flow}
    if all(rates.values()):
        per_filing = sum(n / rates[k] for k, n in flow.items())
        out["flow_filings_per_s"] = round(1 / per_filing, 1)
        out["flow_headroom"] = round(1 / per_filing / peak, 1)
        out["flow"] = flow
    else:
        out["flow_missing"] = [k for k, v in rates.items() if not v]
    return out


def _fmt(v, digits=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def markdown(result: dict) -> str:
    meta = result["meta"]
    lines = [f"# Benchmark {meta['started']} ({meta['db']})", "",
             f"- database: {meta['database']}; schema: {meta.get('schema')}",
             f"- gunicorn: {meta['workers']} {meta.get('worker_class', 'sync')} workers"
             f"{' × ' + str(meta.get('threads')) + ' threads' if meta.get('worker_class') == 'gthread' else ''}; {meta['cpus']} cores; wrk pinned to core {meta['wrk_core']}",
             f"- {meta['duration_s']} s per path and concurrency; Python {meta['python']}",
             *([f"- `scripts/run` start until it serves: first {meta['startup'].get('first_s')} s, "
                f"warm {meta['startup'].get('warm_s')} s"] if meta.get("startup") else []),
             "", "## Data sizes", "", "| size | institutions | filings | users | load s |", "|---|---:|---:|---:|---:|"]
    for s in result["sizes"]:
        lines.append(f"| {s['name']} | {s['institutions']:,} | {s['filings']:,} | {s['users']:,} | {s['load_seconds']} |")
    lines += ["", "## Baselines", "", "| size | baseline | c | rps | p50 ms | p95 ms | p99 ms | errors | peak MB | wrk CPU % |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for size, bl in result["baselines"].items():
        for name, by in bl.items():
            for c, m in by.items():
                lines.append(f"| {size} | {name} | {c[1:]} | {m['rps']} | {m['p50_ms']} | {m['p95_ms']} | {m['p99_ms']} "
                             f"| {m['errors']} | {_fmt(m['peak_worker_mb'])} | {_fmt(m['wrk_cpu_pct'])} |")
    lines += ["", "## Paths", "",
              "| path | size | c | rps | p50 ms | p95 ms | p99 ms | errors | × json | × row | peak MB | wrk CPU % | app CPU % |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, entry in result["paths"].items():
        if not entry.get("available"):
            lines.append(f"| {name} | – | – | not available ({entry.get('reason', '')}) |||||||||")
            continue
        for size, by in entry["sizes"].items():
            for c, m in by.items():
                exhausted = " (pool used up: lower bound)" if m.get("pool_exhausted") else ""
                lines.append(f"| {name} | {size} | {c[1:]} | {m['rps']}{exhausted} | {m['p50_ms']} | {m['p95_ms']} | {m['p99_ms']} "
                             f"| {m['errors']} | {_fmt(m.get('ratio_json'), 2)} | {_fmt(m.get('ratio_row'), 2)} "
                             f"| {_fmt(m['peak_worker_mb'])} | {_fmt(m['wrk_cpu_pct'])} | {_fmt(m['server_cpu_pct'])} |")
    if result.get("delivery"):
        d = result["delivery"]
        lines += ["", "## Worker delivery", "",
                  (f"{d['sent']} of {d['messages']} subscribe messages delivered in {d['seconds']} s "
                   f"({d['per_second']} per second, one worker thread, fake WeChat on loopback)")
                  if d.get("available", True) else f"not available: {d.get('reason')}"]
    lines += ["", "## Targets", "", "| target | value | limit | result |", "|---|---:|---|---|"]
    for t in result["targets"]:
        lines.append(f"| {t['target']} | {_fmt(t['value'], 2)} | {t['limit']} | {t['met']} |")
    h = result["headroom"]
    lines += ["", "## Headroom", "",
              f"2024: {h['filings_2024']:,} filings, {h['average_per_s']}/s on average; peak = 100 × average = {h['peak_per_s']}/s.",
              f"- submit alone at concurrency 8: {_fmt(h.get('submit_c8_rps'))}/s → headroom {_fmt(h.get('submit_headroom'))}× on {h['machine']}"]
    if "flow_filings_per_s" in h:
        lines.append(f"- whole filing (login, regions, a search, 3 steps, submit): {h['flow_filings_per_s']}/s "
                     f"→ headroom {h['flow_headroom']}×")
    else:
        lines.append(f"- whole filing: not measured (missing {', '.join(h.get('flow_missing', []))})")
    return "\n".join(lines) + "\n"


def chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = {s["name"]: s for s in result["sizes"]}
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, entry in result["paths"].items():
        if not (entry.get("available") and entry["grows"]):
            continue
        xkey = "institutions" if name in SEARCH_PATHS else "filings"
        pts = [(sizes[s][xkey], by["c1"]["p50_ms"], by["c1"]["p95_ms"]) for s, by in entry["sizes"].items() if "c1" in by]
        if not pts:
            continue
        xs, p50, p95 = zip(*pts)
        line, = ax.plot(xs, p95, marker="o", label=f"{name} p95 (x: {xkey})")
        ax.plot(xs, p50, marker=".", linestyle="--", color=line.get_color(), label=f"{name} p50")
    ax.set_xscale("log")
    ax.set_xlabel("rows (institutions for search, filings otherwise)")
    ax.set_ylabel("latency at concurrency 1 (ms)")
    ax.set_title(f"Latency against data size ({result['meta']['db']})")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the smoke run: tiny data, 2 s per path")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", help="PostgreSQL URL (else BENCH_DATABASE_URL / TEST_DATABASE_URL); emptied")
    parser.add_argument("--sizes", default="small,medium,large", help="comma list of: " + ",".join(SIZES))
    parser.add_argument("--duration", type=float, help="seconds per path and concurrency (default 10; quick 2)")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gunicorn.conf.py's)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--startup", action=argparse.BooleanOptionalAction, default=None,
                        help="also time a cold and a warm scripts/run start (default: on, off with --quick)")
    parser.add_argument("--paths", help="only these paths (comma list)")
    parser.add_argument("--out", default=str(ROOT / "bench_results"))
    parser.add_argument("--keep", action="store_true", help="keep the work folder (database, logs)")
    parser.add_argument("--silent", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    opts = parse_args(argv)
    result = run(opts)
    print(result["out_dir"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
