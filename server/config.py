"""Configuration from environment variables, with safe defaults for the embedded (SQLite) mode."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

DEV_SECRET = "dev-secret-change-me"
DEV_DATA_KEY = "dev-data-key-change-me"


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _sqlite_url() -> str:
    return f"sqlite:///{INSTANCE / 'filing.db'}"


def _served_url() -> str:
    """The address scripts/run (or gunicorn.conf.py) serves on, so links work without configuration:
    HOST and PORT when set (the server's own process), else what scripts/run last served on (for
    commands run beside it, such as `flask counter-codes create`), else the default address."""
    host, port = os.environ.get("HOST"), os.environ.get("PORT")
    if not (host or port):
        try:
            recorded = Path(os.environ.get("SERVED_URL_FILE") or INSTANCE / "served_url").read_text().strip()
        except OSError:
            recorded = ""
        if recorded.startswith(("http://", "https://")):
            return recorded
    host = host or "127.0.0.1"
    if host in {"0.0.0.0", "::", "[::]"}:
        host = "127.0.0.1"  # all interfaces: this machine's own address is one of them
    return f"http://{host}:{port or '5000'}"


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, str(default)))


def engine_options(url: str) -> dict:
    """Pool settings: a dead server connection is replaced before use, a request waits a bounded time
    for a connection, and bound parameters (names, phone numbers) never reach exception messages or logs."""
    options: dict = {"hide_parameters": True}
    if url.startswith("postgresql"):
        options.update(
            # A server restart or a proxy's idle timeout leaves dead connections in the pool. (A
            # SQLite file has no connection to lose: the ping before each use was pure cost there.)
            pool_pre_ping=True,
            pool_size=_int("DB_POOL_SIZE", 5),
            max_overflow=_int("DB_MAX_OVERFLOW", 5),
            pool_timeout=_float("DB_POOL_TIMEOUT", 5),
            pool_recycle=_int("DB_POOL_RECYCLE", 1800),
            connect_args={"connect_timeout": _int("DB_CONNECT_TIMEOUT", 3)},
        )
    return options


class Config:
    def __init__(self) -> None:
        env = os.environ
        self.APP_ENV = env.get("APP_ENV", "development")
        self.SECRET_KEY = env.get("SECRET_KEY", DEV_SECRET)
        # Earlier SECRET_KEYs, comma-separated: their signatures (logins, QR codes, vouchers) still
        # verify while everything new is signed with SECRET_KEY.
        self.SECRET_KEYS_OLD = env.get("SECRET_KEYS_OLD", "")
        # Separate key for personal data at rest, so rotating session signing does not touch it.
        self.DATA_KEY = env.get("DATA_KEY", DEV_DATA_KEY)
        # Earlier DATA_KEYs, comma-separated, newest first: still decrypt until `flask keys rotate` is done.
        self.DATA_KEYS_OLD = env.get("DATA_KEYS_OLD", "")
        self.SQLALCHEMY_DATABASE_URI = env.get("DATABASE_URL", _sqlite_url())
        # Extra engine options; create_app adds engine_options() for the URL it finally uses.
        self.SQLALCHEMY_ENGINE_OPTIONS = {}
        # An outage answers 503 with this Retry-After; conflicts (serialization, deadlock) are
        # retried this many times first.
        self.DB_RETRY_AFTER = _int("DB_RETRY_AFTER", 5)
        self.DB_CONFLICT_RETRIES = _int("DB_CONFLICT_RETRIES", 2)
        # Behind a reverse proxy: how many proxies in front of the app set X-Forwarded-For/-Proto
        # (0 = trust none: the peer address is the caller).
        self.TRUSTED_PROXY_HOPS = _int("TRUSTED_PROXY_HOPS", 0)
        self.LOG_FORMAT = env.get("LOG_FORMAT", "json")  # json | text
        self.LOG_LEVEL = env.get("LOG_LEVEL", "INFO")
        self.REDIS_URL = env.get("REDIS_URL") or None
        self.WECHAT_APPID = env.get("WECHAT_APPID", "")
        self.WECHAT_SECRET = env.get("WECHAT_SECRET", "")
        self.WECHAT_API_BASE = env.get("WECHAT_API_BASE", "https://api.weixin.qq.com")
        # Only for the benchmark's fake WeChat: plain http, and only to a loopback address.
        self.WECHAT_API_BASE_ALLOW_HTTP = _bool("WECHAT_API_BASE_ALLOW_HTTP", False)
        # A total deadline for one WeChat call (connect, headers and body together), and the
        # connection part of it; a safe call is tried WECHAT_RETRIES more times within the deadline.
        self.WECHAT_TIMEOUT = _float("WECHAT_TIMEOUT", 5)
        self.WECHAT_CONNECT_TIMEOUT = _float("WECHAT_CONNECT_TIMEOUT", 2)
        self.WECHAT_RETRIES = _int("WECHAT_RETRIES", 1)
        # Which build mini-program codes open: release, trial or develop.
        self.WECHAT_ENV_VERSION = env.get("WECHAT_ENV_VERSION", "release")
        self.WECHAT_VERIFY_FILES = env.get("WECHAT_VERIFY_FILES", "")  # "name=content;name2=content2"
        self.PUBLIC_BASE_URL = (env.get("PUBLIC_BASE_URL") or _served_url()).rstrip("/")
        self.UPLOAD_FOLDER = env.get("UPLOAD_FOLDER", str(INSTANCE / "uploads"))
        # Stored files: "local" (UPLOAD_FOLDER, one server only) or "s3" (any S3-compatible store).
        self.STORAGE_BACKEND = env.get("STORAGE_BACKEND", "local")
        self.S3_BUCKET = env.get("S3_BUCKET", "")
        self.S3_ENDPOINT_URL = env.get("S3_ENDPOINT_URL") or None
        self.S3_REGION = env.get("S3_REGION") or None
        self.S3_ACCESS_KEY_ID = env.get("S3_ACCESS_KEY_ID") or None
        self.S3_SECRET_ACCESS_KEY = env.get("S3_SECRET_ACCESS_KEY") or None
        self.S3_PREFIX = env.get("S3_PREFIX", "")
        # File links in JSON answers carry a signature valid this long (server/common/signed_urls.py).
        self.SIGNED_URL_TTL_SECONDS = int(env.get("SIGNED_URL_TTL_SECONDS", "600"))
        self.MAX_UPLOAD_BYTES = int(env.get("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024)))
        self.MAX_CONTENT_LENGTH = self.MAX_UPLOAD_BYTES + 64 * 1024
        self.TOKEN_TTL_SECONDS = int(env.get("TOKEN_TTL_SECONDS", str(7 * 24 * 3600)))
        self.STAFF_TOKEN_TTL_SECONDS = int(env.get("STAFF_TOKEN_TTL_SECONDS", str(12 * 3600)))
        self.DEV_LOGIN_ENABLED = _bool("DEV_LOGIN_ENABLED", self.APP_ENV != "production")
        # Per caller: a WeChat code, an openid, a staff username at one address.
        self.RATE_LIMIT_LOGIN_PER_MINUTE = int(env.get("RATE_LIMIT_LOGIN_PER_MINUTE", "30"))
        # Per source address, for the WeChat login only: many phones share a carrier's address.
        self.RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE = _int("RATE_LIMIT_LOGIN_PER_ADDRESS_PER_MINUTE", 600)
        self.RATE_LIMIT_VERIFY_PER_MINUTE = int(env.get("RATE_LIMIT_VERIFY_PER_MINUTE", "60"))
        # Subscribe-message templates (JSON; see server/notifications/templates.py); the build the
        # messages open is WECHAT_ENV_VERSION, above.
        self.WECHAT_TEMPLATES = env.get("WECHAT_TEMPLATES", "")
        self.DRAFT_RETENTION_DAYS = int(env.get("DRAFT_RETENTION_DAYS", "90"))
        self.CHAT_RETENTION_DAYS = int(env.get("CHAT_RETENTION_DAYS", "30"))
        self.SQLITE_WAL = True
        self.TESTING = False
        # flask-smorest / OpenAPI
        self.API_TITLE = "跨省异地就医备案 API"
        self.API_VERSION = "v1"
        self.OPENAPI_VERSION = "3.0.3"
        self.OPENAPI_URL_PREFIX = "/api/v1"
        self.OPENAPI_JSON_PATH = "openapi.json"
        self.OPENAPI_SWAGGER_UI_PATH = "docs"
        self.OPENAPI_SWAGGER_UI_URL = "/api/v1/docs/assets/"
        self.API_SPEC_OPTIONS = {
            "info": {"description": "跨省异地就医备案小程序后端。除登录、地区、机构查询外，接口需要 "
                                    "`Authorization: Bearer <token>`。错误统一为 "
                                    "`{\"error\": {\"code\", \"message\", \"details\"}}`。"},
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearerAuth": []}],
        }
        self.JSON_AS_ASCII = False

    def problems(self) -> list[str]:
        """Reasons production must refuse to start."""
        if self.APP_ENV != "production":
            return []
        out = []
        if self.SECRET_KEY == DEV_SECRET or len(self.SECRET_KEY) < 32:
            out.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if self.DATA_KEY == DEV_DATA_KEY or len(self.DATA_KEY) < 32:
            out.append("DATA_KEY must be set to a random value of at least 32 characters")
        if self.DEV_LOGIN_ENABLED:
            out.append("DEV_LOGIN_ENABLED must be off in production")
        if self.STORAGE_BACKEND not in ("local", "s3"):
            out.append("STORAGE_BACKEND must be local or s3")
        elif self.STORAGE_BACKEND == "s3" and not self.S3_BUCKET:
            out.append("S3_BUCKET is required when STORAGE_BACKEND=s3")
        if not (self.WECHAT_APPID and self.WECHAT_SECRET):
            out.append("WECHAT_APPID and WECHAT_SECRET are required in production")
        try:
            from server.notifications.templates import parse

            parse(self.WECHAT_TEMPLATES)
        except ValueError as exc:
            out.append(str(exc))
        if not self.WECHAT_API_BASE.startswith("https://") and not self._loopback_http_allowed():
            out.append("WECHAT_API_BASE must be an https URL in production")
        if not self.PUBLIC_BASE_URL.startswith("https://"):
            out.append("PUBLIC_BASE_URL must be set to the service's https URL in production")
        if self.WECHAT_ENV_VERSION not in {"release", "trial", "develop"}:
            out.append("WECHAT_ENV_VERSION must be release, trial or develop")
        return out

    def _loopback_http_allowed(self) -> bool:
        from urllib.parse import urlparse

        url = urlparse(self.WECHAT_API_BASE)
        return (self.WECHAT_API_BASE_ALLOW_HTTP and url.scheme == "http"
                and url.hostname in {"127.0.0.1", "localhost", "::1"})


class TestConfig(Config):
    __test__ = False  # not a pytest test class

    def __init__(self, **overrides) -> None:
        super().__init__()
        self.APP_ENV = "testing"
        self.TESTING = True
        self.SECRET_KEY = "test-secret"
        self.DATA_KEY = "test-data-key"
        self.DEV_LOGIN_ENABLED = True
        self.SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
        self.WECHAT_APPID = "wx-test-appid"
        self.WECHAT_SECRET = "test-app-secret"
        self.WECHAT_TIMEOUT = 0.5
        for key, value in overrides.items():
            setattr(self, key, value)


def signing_secrets(cfg) -> list[str]:
    """SECRET_KEY first, then the earlier keys whose signatures are still accepted."""
    old = cfg.get("SECRET_KEYS_OLD") or ""
    old = [k.strip() for k in old.split(",")] if isinstance(old, str) else list(old)
    return [cfg["SECRET_KEY"], *(k for k in old if k and k != cfg["SECRET_KEY"])]


def as_mapping(cfg: Config) -> dict:
    return {k: v for k, v in vars(cfg).items() if k.isupper()}
