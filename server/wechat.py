"""A thin gateway over WeChat's HTTP API (base URL from configuration, so tests use a local server).

Every call has one total deadline (WECHAT_TIMEOUT: connecting, waiting for the headers and reading
the body together), so a WeChat that answers slowly, or a byte at a time, holds a worker no longer
than that. A failed call is tried again (with back-off, within the same deadline) only where that
is safe: always when the connection could not be made, otherwise only for calls that change nothing
(the access token, a mini-program code). Authenticated calls fetch the access token from shared
storage and refresh it once when WeChat says it expired or was replaced (errcode 40001/42001).

The app secret, session_key and access_token never reach logs or responses.
"""
from __future__ import annotations

import heapq
import itertools
import logging
import os
import random
import re
import socket
import threading
import time
from dataclasses import dataclass

import requests
from flask import current_app
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
log = logging.getLogger(__name__)

_SECRET_PARAMS = re.compile(r"((?:secret|js_code|access_token|session_key)=)[^&\s\"']+")


class _RedactSecrets(logging.Filter):
    """urllib3 logs full request URLs at DEBUG; WeChat puts the app secret and codes in them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(_SECRET_PARAMS.sub(r"\1***", a) if isinstance(a, str) else a
                                for a in record.args)
        if isinstance(record.msg, str):
            record.msg = _SECRET_PARAMS.sub(r"\1***", record.msg)
        return True


logging.getLogger("urllib3.connectionpool").addFilter(_RedactSecrets())


@dataclass(frozen=True)
class Session:
    openid: str
    session_key: str
    unionid: str | None


class WeChatError(Exception):
    """kind: invalid_code | too_frequent | unavailable | rejected"""

    def __init__(self, kind: str, errcode: int | None = None):
        super().__init__(f"{kind} ({errcode})")
        self.kind = kind
        self.errcode = errcode


_INVALID_CODE = {40029, 40163}
_TOO_FREQUENT = {45011}
_BUSY = {-1}


def _classify(errcode: int) -> str:
    if errcode in _INVALID_CODE:
        return "invalid_code"
    if errcode in _TOO_FREQUENT:
        return "too_frequent"
    if errcode in _BUSY:
        return "unavailable"
    return "rejected"


_TOKEN_EXPIRED = {40001, 42001}


# --- one deadline for a whole call ---------------------------------------------------------------

_current = threading.local()


class _Watchdog:
    """Shuts the call's socket when the deadline passes, which ends a read blocked on a server that
    sends a byte now and then (a per-read timeout never fires there)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sock = None
        self.fired = False
        self.done = False

    def attach(self, sock) -> None:
        with self.lock:
            self.sock = sock
            if self.fired:
                self._shut(sock)

    def fire(self) -> None:
        with self.lock:
            if self.done:
                return
            self.fired = True
            if self.sock is not None:
                self._shut(self.sock)

    def disarm(self) -> bool:
        """Stop watching; True when it fired (the socket, maybe back in the pool, is then dead)."""
        with self.lock:
            self.done = True
            return self.fired

    @staticmethod
    def _shut(sock) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class _Deadlines:
    """One thread per process fires each pending call's watchdog at its deadline. (A timer thread
    per call, started and stopped around every login, cost more CPU than the call itself.)"""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.heap: list = []  # (deadline, sequence, watchdog)
        self.seq = itertools.count()
        self.pid = None

    def watch(self, seconds: float, watchdog: _Watchdog) -> None:
        entry = (time.monotonic() + seconds, next(self.seq), watchdog)
        with self.cond:
            if self.pid != os.getpid():  # first use, or a forked worker: threads do not cross a fork
                self.pid, self.heap = os.getpid(), []
                threading.Thread(target=self._run, name="wechat-deadlines", daemon=True).start()
            heapq.heappush(self.heap, entry)
            if self.heap[0] is entry:
                self.cond.notify()

    def _run(self) -> None:
        with self.cond:
            while True:
                now = time.monotonic()
                # Calls that ended are dropped as they come up; due ones are fired.
                while self.heap and (self.heap[0][2].done or self.heap[0][0] <= now):
                    _, _, watchdog = heapq.heappop(self.heap)
                    watchdog.fire()
                self.cond.wait(self.heap[0][0] - now if self.heap else None)


_deadlines = _Deadlines()


class _WatchedMixin:
    def getresponse(self):
        watchdog = getattr(_current, "watchdog", None)
        if watchdog is not None and self.sock is not None:
            watchdog.attach(self.sock)
        return super().getresponse()


class _WatchedHTTPConnection(_WatchedMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedMixin, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _DeadlineAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


def _session() -> requests.Session:
    http = requests.Session()
    adapter = _DeadlineAdapter(pool_connections=2, pool_maxsize=8, max_retries=0)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


_sessions = threading.local()


def _thread_session() -> requests.Session:
    # One keep-alive session per thread: requests.Session is not meant to be shared across threads.
    http = getattr(_sessions, "http", None)
    if http is None:
        http = _sessions.http = _session()
    return http


def _not_sent(exc: requests.RequestException) -> bool:
    """True when the request never reached WeChat (so even a one-time code is safe to resend)."""
    return isinstance(exc, requests.ConnectTimeout) or (
        isinstance(exc, requests.ConnectionError) and "NewConnectionError" in repr(exc))


class WeChatGateway:
    def __init__(self, base_url: str, appid: str, secret: str, timeout: float, *,
                 connect_timeout: float = 2.0, retries: int = 1, env_version: str = "release"):
        self.base_url = base_url.rstrip("/")
        self.appid = appid
        self.secret = secret
        self.timeout = timeout
        self.connect_timeout = min(connect_timeout, timeout)
        self.retries = retries
        self.env_version = env_version
        self.http = _thread_session()

    @classmethod
    def from_app(cls) -> "WeChatGateway":
        cfg = current_app.config
        return cls(cfg["WECHAT_API_BASE"], cfg["WECHAT_APPID"], cfg["WECHAT_SECRET"], cfg["WECHAT_TIMEOUT"],
                   connect_timeout=cfg.get("WECHAT_CONNECT_TIMEOUT", 2.0),
                   retries=cfg.get("WECHAT_RETRIES", 1), env_version=cfg.get("WECHAT_ENV_VERSION", "release"))

    # -- transport --

    def _once(self, method: str, url: str, remaining: float, **kwargs) -> requests.Response:
        watchdog = _Watchdog()
        _current.watchdog = watchdog
        _deadlines.watch(remaining, watchdog)
        try:
            # The body is read inside this call (no streaming), so the watchdog covers all of it.
            return self.http.request(method, url, timeout=(min(self.connect_timeout, remaining), remaining),
                                     **kwargs)
        except requests.RequestException:
            if watchdog.fired:
                raise requests.Timeout("total deadline passed") from None
            raise
        finally:
            _current.watchdog = None
            if watchdog.disarm():
                self.http.close()  # drop the kept-alive connection the watchdog shut
                self.http = _sessions.http = _session()

    def _call(self, method: str, path: str, *, what: str, idempotent: bool = False,
              **kwargs) -> requests.Response:
        """One call within the total deadline; a failure is retried only when `idempotent` or when
        nothing was sent. Raises WeChatError("unavailable") when no usable answer came in time."""
        from server.observability import metrics

        deadline = time.monotonic() + self.timeout
        attempt = 0
        while True:
            remaining = deadline - time.monotonic()
            retriable = False
            try:
                resp = self._once(method, self.base_url + path, remaining, **kwargs)
            except requests.Timeout as exc:
                outcome, retriable = "timeout", idempotent or _not_sent(exc)
            except requests.RequestException as exc:
                outcome, retriable = "unreachable", idempotent or _not_sent(exc)
            else:
                if resp.status_code < 500:
                    metrics().wechat_calls.labels(what, "answered").inc()
                    return resp
                outcome, retriable = f"http_{resp.status_code}", idempotent
            metrics().wechat_calls.labels(what, outcome).inc()
            backoff = 0.1 * (2 ** attempt) * random.uniform(0.5, 1.5)
            if not retriable or attempt >= self.retries or deadline - time.monotonic() < backoff + 0.05:
                log.warning("wechat %s failed: %s (attempt %d)", what, outcome, attempt + 1)
                raise WeChatError("unavailable")
            attempt += 1
            time.sleep(backoff)

    @staticmethod
    def _json(resp: requests.Response, what: str) -> dict:
        try:
            data = resp.json()
        except ValueError:
            log.warning("wechat %s answered a non-JSON body (HTTP %s)", what, resp.status_code)
            raise WeChatError("unavailable") from None
        if not isinstance(data, dict):
            raise WeChatError("unavailable")
        errcode = data.get("errcode") or 0
        if errcode:
            log.info("wechat %s errcode %s", what, errcode)
            raise WeChatError(_classify(int(errcode)), int(errcode))
        return data

    # -- calls --

    def code2session(self, code: str) -> Session:
        # A js_code works once: resent only when the first try never reached WeChat.
        resp = self._call("GET", "/sns/jscode2session", what="jscode2session", params={
            "appid": self.appid, "secret": self.secret, "js_code": code,
            "grant_type": "authorization_code"})
        data = self._json(resp, "jscode2session")
        if not data.get("openid") or not data.get("session_key"):
            raise WeChatError("unavailable")
        return Session(data["openid"], data["session_key"], data.get("unionid") or None)

    def fetch_access_token(self, force_refresh: bool = False) -> tuple[str, int]:
        # stable_token: one token shared by every server, not invalidated by another fetch.
        body = {"grant_type": "client_credential", "appid": self.appid, "secret": self.secret}
        if force_refresh:
            body["force_refresh"] = True
        resp = self._call("POST", "/cgi-bin/stable_token", what="stable_token", idempotent=not force_refresh,
                          json=body)
        data = self._json(resp, "stable_token")
        return data["access_token"], int(data.get("expires_in", 7200))

    def call_authenticated(self, method: str, path: str, *, what: str, idempotent: bool = False,
                           params: dict | None = None, **kwargs) -> requests.Response:
        """A call that carries the access token (subscribe messages, mini-program codes, ...).
        When WeChat answers that the token expired or was replaced, the token is refreshed once and
        the call made again; the caller reads the response (JSON errcodes other than those, images)."""
        token = access_token(self)
        for refreshed in (False, True):
            resp = self._call(method, path, what=what, idempotent=idempotent,
                              params={**(params or {}), "access_token": token}, **kwargs)
            errcode = _errcode(resp)
            if errcode not in _TOKEN_EXPIRED or refreshed:
                return resp
            log.info("wechat %s: access token rejected (errcode %s), refreshing it once", what, errcode)
            token = access_token(self, rejected=token)
        return resp  # pragma: no cover  (the loop always returns)

    def call_json(self, method: str, path: str, *, what: str, idempotent: bool = False, **kwargs) -> dict:
        """call_authenticated for JSON answers: the decoded body, or WeChatError on an errcode."""
        return self._json(self.call_authenticated(method, path, what=what, idempotent=idempotent, **kwargs), what)

    def generate_urllink(self, path: str, query: str, expire_days: int = 30) -> str:
        """urllink.generate: a https link that opens the mini-program at `path` from a browser
        outside WeChat (a phone camera scanning a counter QR)."""
        data = self.call_json("POST", "/wxa/generate_urllink", what="generate_urllink", idempotent=True,
                              json={"path": path, "query": query, "env_version": self.env_version,
                                    "expire_type": 1, "expire_interval": expire_days})
        link = data.get("url_link")
        if not isinstance(link, str) or not link.startswith("https://"):
            raise WeChatError("unavailable")
        return link

    def wxacode_unlimited(self, scene: str, page: str | None = None) -> bytes:
        body = {"scene": scene, "check_path": False, "env_version": self.env_version}
        if page:
            body["page"] = page
        resp = self.call_authenticated("POST", "/wxa/getwxacodeunlimit", what="getwxacodeunlimit",
                                       idempotent=True, json=body)
        if resp.headers.get("Content-Type", "").startswith("image/"):
            return resp.content
        self._json(resp, "getwxacodeunlimit")
        raise WeChatError("unavailable")


def _errcode(resp: requests.Response) -> int:
    if not resp.headers.get("Content-Type", "").startswith(("application/json", "text/plain")):
        return 0
    try:
        data = resp.json()
    except ValueError:
        return 0
    return int(data.get("errcode") or 0) if isinstance(data, dict) else 0


def access_token(gateway: WeChatGateway | None = None, rejected: str | None = None) -> str:
    """The access token, kept in shared storage so app servers do not fetch one each. `rejected`:
    the token WeChat just refused (expired, or replaced by a refresh elsewhere): unless another
    server already stored a newer one, it is fetched again (stable_token hands out the current one)."""
    from server.common.kv import get_kv

    kv = get_kv()
    cached = kv.get("wechat:access_token")
    if cached and cached != rejected:
        return cached
    gateway = gateway or WeChatGateway.from_app()
    token, expires_in = gateway.fetch_access_token()
    kv.set("wechat:access_token", token, max(60, expires_in - 300))
    return token
