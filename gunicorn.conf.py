"""gunicorn settings, for scripts/run and for production: `gunicorn -c gunicorn.conf.py server.wsgi:app`.

Every value comes from an environment variable with a default fit for one server behind a proxy
(README, "Configuration"):

- BIND (or HOST and PORT): the app's address. In production bind a private address the reverse
  proxy reaches, never a public one.
- WORKERS (2), WORKER_CLASS (gthread), THREADS (4): threaded workers, chosen by measurement
  (docs/benchmark.md): a request waiting on a slow WeChat (at most WECHAT_TIMEOUT) holds one thread,
  not a whole worker, so other requests keep answering. Keep 2 × THREADS within the database pool
  (DB_POOL_SIZE + DB_MAX_OVERFLOW): a request may hold its session's connection and one for shared state.
- WORKER_CONNECTIONS (THREADS + 2): connections one worker holds at once; see below.
- MALLOC_ARENA_MAX (2): glibc's malloc arenas per process (see _limit_malloc_arenas).
- GUNICORN_TIMEOUT (30 s): a worker silent this long is killed and replaced; well above the WeChat
  and database deadlines, so it only catches a stuck process.
- MAX_REQUESTS (2000, with jitter): workers are recycled now and then, so a leak cannot grow.
- FORWARDED_ALLOW_IPS (127.0.0.1): the proxies whose X-Forwarded-Proto gunicorn believes; the
  caller's address is taken from X-Forwarded-For by the app itself (TRUSTED_PROXY_HOPS).
- METRICS_BIND (127.0.0.1:9464; "off" to disable): Prometheus metrics for all workers, served by
  the master on this address only (not through the proxy).
- ACCESS_LOG (on): one JSON line per request on stdout, with the request id.
- PREPARE_ON_START: "demo" (scripts/run) or "migrate" applies the migrations (and loads the demo
  data) in this process before the workers start; production migrates as a release step instead.
"""
from __future__ import annotations

import gc
import os
import shutil
import tempfile

_env = os.environ.get


def _limit_malloc_arenas() -> None:
    """glibc gives each thread that allocates its own arena (up to 8 per core): with 4 threads a
    worker's peak memory passed 150 MB, mostly freed-but-kept arena pages. Two arenas are enough for
    threads that mostly wait on the GIL. Set here, before any thread starts, so every way of starting
    the server (scripts/run, production, the benchmark) gets it; MALLOC_ARENA_MAX overrides."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        m_arena_max = -8  # glibc's M_ARENA_MAX
        libc.mallopt(m_arena_max, int(_env("MALLOC_ARENA_MAX", "2")))
    except (OSError, AttributeError, ValueError):  # not glibc: nothing to limit
        pass


_limit_malloc_arenas()

bind = _env("BIND") or f"{_env('HOST') or '127.0.0.1'}:{_env('PORT') or '5000'}"
workers = int(_env("WORKERS", "2"))
worker_class = _env("WORKER_CLASS", "gthread")
threads = int(_env("THREADS", "4"))
timeout = int(_env("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(_env("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(_env("GUNICORN_KEEPALIVE", "5"))
# A gthread worker accepts while it holds fewer than worker_connections connections, whether or not
# a thread is free: with gunicorn's default (1000) one worker took all eight kept-alive connections
# of a load test (or of a proxy's upstream pool) and left the other core idle. Two connections over
# the threads keeps a little keep-alive (gunicorn keeps at most worker_connections - threads idle
# connections open per worker and closes the others after their answer) and makes the rest spread.
worker_connections = int(_env("WORKER_CONNECTIONS", str(threads + 2)))
max_requests = int(_env("MAX_REQUESTS", "2000"))
max_requests_jitter = int(_env("MAX_REQUESTS_JITTER", str(max(1, max_requests // 10))))
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The app is imported once, in the master; workers are forked from it (fast restarts, shared pages).
preload_app = _env("PRELOAD_APP", "1") not in {"0", "false", "no", "off"}
# gunicorn's control socket sits at one path per user: several servers on one machine would share it.
control_socket_disable = True
limit_request_line = 8190
limit_request_fields = 100

loglevel = _env("GUNICORN_LOG_LEVEL", "info")
errorlog = "-"
accesslog = "-" if _env("ACCESS_LOG", "1") not in {"0", "false", "no", "off"} else None
access_log_format = ('{"time": "%(t)s", "logger": "access", "request_id": "%({x-request-id}o)s", '
                     '"method": "%(m)s", "path": "%(U)s", "status": %(s)s, "bytes": "%(B)s", '
                     '"duration_ms": %(M)s, "remote": "%(h)s", "forwarded_for": "%({x-forwarded-for}i)s"}')
if _env("LOG_FORMAT", "json") == "json":
    # gunicorn's own lines (start, workers, timeouts) as JSON too, like the app's.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "server.observability.JsonFormatter"},
                       "line": {"format": "%(message)s"}},  # access lines are JSON already
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json",
                                "stream": "ext://sys.stderr"},
                     "access": {"class": "logging.StreamHandler", "formatter": "line",
                                "stream": "ext://sys.stdout"}},
        "root": {"level": "INFO", "handlers": []},  # the app adds its own (server.observability)
        "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": loglevel.upper(), "propagate": False},
                    "gunicorn.access": {"handlers": ["access"] if accesslog else [], "level": "INFO",
                                        "propagate": False}},
    }

METRICS_BIND = _env("METRICS_BIND", "127.0.0.1:9464")

# Metrics from every worker go to files in one directory, which the master reads to serve them. It
# must be set before the app (and so prometheus_client) is imported.
if METRICS_BIND != "off" and not _env("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="filing-metrics-")
    _OWN_METRICS_DIR = os.environ["PROMETHEUS_MULTIPROC_DIR"]
else:
    _OWN_METRICS_DIR = None


def when_ready(server):
    prepare = _env("PREPARE_ON_START", "")
    if prepare in {"demo", "migrate"}:
        from server.cli import prepare as prepare_db

        prepare_db(server.app.wsgi(), demo=prepare == "demo", echo=server.log.info)
    if METRICS_BIND != "off":
        from server.observability import serve_metrics

        try:
            serve_metrics(METRICS_BIND)
            server.log.info("metrics on http://%s/metrics", METRICS_BIND)
        except OSError as exc:  # a busy port must not keep the service down
            server.log.warning("metrics not served on %s: %s", METRICS_BIND, exc)


def pre_fork(server, worker):
    # The preloaded app's objects never die: kept out of the collector, a worker's collections do
    # not walk them (less CPU) nor write to their pages (which then stay shared with the master).
    if preload_app:
        gc.collect()
        gc.freeze()


def post_fork(server, worker):
    # A connection opened in the master must not be shared with the workers.
    try:
        from server.extensions import db

        app = server.app.wsgi() if preload_app else None
        if app is not None:
            with app.app_context():
                db.engine.dispose(close=False)
    except Exception:  # nothing to dispose before the app exists
        pass


def child_exit(server, worker):
    if _env("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _OWN_METRICS_DIR:
        shutil.rmtree(_OWN_METRICS_DIR, ignore_errors=True)
