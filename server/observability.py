"""What an operator sees: JSON logs carrying a request id, and Prometheus metrics.

The request id comes from the caller's (or the proxy's) `X-Request-ID` when it is a sane token, is
made otherwise, and goes back in the `X-Request-ID` response header and in every error body.

Metrics are collected in each worker and served on their own address (METRICS_BIND, loopback by
default), never by the app's port: the proxy in front of the app cannot reach them. Under gunicorn
the workers write to PROMETHEUS_MULTIPROC_DIR (set by gunicorn.conf.py) and the master serves the
sum over all of them.
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import threading
import time

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


# --- request id ---------------------------------------------------------------------------------

def request_id() -> str | None:
    """This request's id (None outside a request)."""
    if not has_request_context():
        return None
    rid = g.get("request_id")
    if rid is None:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        # A caller's id is kept only when it cannot forge log lines or blow up a header.
        rid = given if _SANE_ID.match(given) else secrets.token_hex(16)  # a uuid4's length, cheaper
        g.request_id = rid
    return rid


# --- logs ---------------------------------------------------------------------------------------

_STD_ATTRS = set(vars(logging.LogRecord("x", 0, "x", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                    + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            out["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STD_ATTRS and key not in out and not key.startswith("_") and value is not None:
                out[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id()
        return True


def configure_logging(app: Flask) -> None:
    """Root logging for a served app (not under tests, whose capture pytest owns)."""
    if app.testing:
        return
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_filing_handler", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._filing_handler = True
        root.addHandler(handler)
    if app.config.get("LOG_FORMAT", "json") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
        handler.addFilter(RequestIdFilter())
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


# --- metrics ------------------------------------------------------------------------------------

_metrics = None
_metrics_lock = threading.Lock()


class _Metrics:
    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter("filing_http_requests_total", "HTTP requests answered",
                                ["method", "route", "status"])
        self.latency = Histogram("filing_http_request_duration_seconds", "Time to answer a request",
                                 ["method", "route"],
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10))
        self.db_unavailable = Counter("filing_db_unavailable_total",
                                      "Requests answered 503 because the database could not be used")
        self.wechat_calls = Counter("filing_wechat_calls_total", "Calls to the WeChat API",
                                    ["api", "outcome"])
        # livesum: the sum over live workers, each worker reporting its own pool.
        self.pool_checked_out = Gauge("filing_db_pool_checked_out", "Database connections in use",
                                      multiprocess_mode="livesum")
        self.pool_size = Gauge("filing_db_pool_connections", "Database connections open in the pool",
                               multiprocess_mode="livesum")


def metrics() -> _Metrics:
    """The process's metric objects (created once, on first use, after a gunicorn fork or not)."""
    global _metrics
    if _metrics is None:
        with _metrics_lock:
            if _metrics is None:
                _metrics = _Metrics()
    return _metrics


def _route_label() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "(unmatched)"


def _watch_pool(engine) -> None:
    from sqlalchemy import event

    m = metrics()

    @event.listens_for(engine, "checkout")
    def _checkout(*_args):
        m.pool_checked_out.inc()

    @event.listens_for(engine, "checkin")
    def _checkin(*_args):
        m.pool_checked_out.dec()

    @event.listens_for(engine, "connect")
    def _connect(*_args):
        m.pool_size.inc()

    @event.listens_for(engine, "close")
    def _close(*_args):
        m.pool_size.dec()

    @event.listens_for(engine, "close_detached")
    def _close_detached(*_args):
        m.pool_size.dec()


def init_app(app: Flask) -> None:
    from server.extensions import db

    m = metrics()
    with app.app_context():
        _watch_pool(db.engine)

    @app.before_request
    def _start():
        g.started_at = time.perf_counter()
        request_id()

    # The labelled children per (method, route, status), looked up once: labels() validates and
    # locks on every call. A few hundred keys at most (routes are rules, not paths).
    children: dict = {}

    @app.after_request
    def _finish(response):
        response.headers[REQUEST_ID_HEADER] = request_id()
        started = g.pop("started_at", None)
        if started is not None:
            key = (request.method, _route_label(), response.status_code)
            pair = children.get(key)
            if pair is None:
                pair = children[key] = (m.latency.labels(key[0], key[1]),
                                        m.requests.labels(key[0], key[1], str(key[2])))
            pair[0].observe(time.perf_counter() - started)
            pair[1].inc()
        return response


def metrics_registry():
    """The registry to serve: every worker's files under gunicorn, this process's otherwise."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def serve_metrics(bind: str):
    """Start the metrics HTTP server on `host:port` (its own thread); returns (server, thread)."""
    from prometheus_client import start_http_server

    host, _, port = bind.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    return start_http_server(int(port), addr=host, registry=metrics_registry())
