"""跨省异地就医备案 backend: the Flask application factory."""
from __future__ import annotations

from flask import Flask
from flask.sessions import SessionInterface

from server.common.jsonprovider import OrjsonProvider
from server.config import Config, as_mapping, engine_options


class NoCookieSession(SessionInterface):
    """Callers authenticate with bearer tokens and nothing keeps state in Flask's signed-cookie
    session, which otherwise built a signing serializer for every request and checked it again
    when answering. Writing to `flask.session` fails loudly (a NullSession)."""

    def open_session(self, app, request):
        return None  # Flask then makes the null session

    def save_session(self, app, session, response):
        return None


class FilingApp(Flask):
    json_provider_class = OrjsonProvider
    session_interface = NoCookieSession()

    def dispatch_request(self):
        # A serialization failure or deadlock reruns the whole request (bounded); see dbfaults.
        from server.dbfaults import dispatch_with_retries

        return dispatch_with_retries(self, super().dispatch_request)


def create_app(config: Config | None = None) -> Flask:
    config = config or Config()
    problems = config.problems()
    if problems:
        raise RuntimeError("refusing to start in production: " + "; ".join(problems))
    app = FilingApp(__name__, instance_relative_config=False)
    app.config.from_mapping(as_mapping(config))
    app.json.ensure_ascii = False

    register_logging(app)
    register_proxy(app)
    register_extensions(app)
    register_error_handlers(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_observability(app)
    register_cli(app)
    return app


def register_logging(app: Flask) -> None:
    from server.observability import configure_logging

    configure_logging(app)


def register_proxy(app: Flask) -> None:
    """Behind TRUSTED_PROXY_HOPS proxies, the caller's address and scheme are the ones the nearest
    proxies forwarded; headers beyond them, which a client can write, are ignored."""
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_extensions(app: Flask) -> None:
    from server.extensions import api, db, migrate
    from server import models  # noqa: F401  (every model registered before mappers configure)

    _engine_options(app)
    _postgres_session_settings(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    with app.app_context():
        _sqlite_pragmas(db.engine)
    api.init_app(app)
    from server.common import http_input
    http_input.register(app, api)


def _engine_options(app: Flask) -> None:
    options = engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    extra = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = {**options.get("connect_args", {}), **extra.pop("connect_args", {})}
    options.update(extra)
    if connect_args:
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _postgres_session_settings(app: Flask) -> None:
    """Requests here touch at most a few thousand rows: starting parallel workers cost more than they
    saved (a 230-row keyword search took 8.4 ms with a Gather, 4.4 ms without)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        return
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("options", "-c max_parallel_workers_per_gather=0")
    options["connect_args"] = connect_args
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _sqlite_pragmas(engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=5000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()


def register_error_handlers(app: Flask) -> None:
    from server.errors import register_error_handlers as _register

    _register(app)


def register_blueprints(app: Flask) -> None:
    from server import docs, health
    from server.console import routes as console
    from server.h5 import routes as h5
    from server.accounts.routes import blp as auth_blp
    from server.chat.routes import blp as chat_blp
    from server.extensions import api
    from server.filing.routes import blp as filing_blp
    from server.institutions import pages
    from server.institutions.routes import blp as institutions_blp
    from server.notifications.routes import blp as notifications_blp
    from server.operators.routes import blp as operators_blp
    from server.records.routes import blp as records_blp
    from server.regions.routes import blp as regions_blp
    from server.review.routes import blp as review_blp

    app.register_blueprint(health.bp)
    app.register_blueprint(docs.bp)
    app.register_blueprint(pages.bp)  # /q/<token>: the page a counter QR opens outside WeChat
    app.register_blueprint(console.bp)  # /console/: the staff console (static pages on the public API)
    app.register_blueprint(h5.bp)  # /h5/: the phone web client (development login only)
    for blp in (auth_blp, regions_blp, filing_blp, records_blp, review_blp, chat_blp, institutions_blp,
                notifications_blp, operators_blp):
        api.register_blueprint(blp)


def register_request_hooks(app: Flask) -> None:
    from flask import g, request
    from sqlalchemy.exc import SQLAlchemyError

    from server import dbfaults
    from server.common import writes
    from server.extensions import db

    @app.before_request
    def _fresh_identity():
        # g lives on the app context, which a test may hold across requests: identity is per request.
        for name in ("auth_token", "user", "staff", "token_user", "token_staff"):
            g.pop(name, None)
        # Who is asking is settled before the body is read: a caller without a valid token hears
        # 401 (or 403), not what was wrong with a body it may not send at all.
        check = getattr(app.view_functions.get(request.endpoint), "auth_check", None)
        if check is not None:
            check()

    writes.install(db.session)

    @app.after_request
    def _commit(response):
        # Services flush; the request commits once, only when it succeeded and wrote something
        # (the view's own work is committed in FilingApp.dispatch_request; this catches what later
        # hooks added). A read ends with the session at teardown.
        if response.status_code < 400:
            if writes.has_writes(db.session):
                db.session.commit()
            dbfaults.burst.succeeded()
        else:
            try:
                db.session.rollback()
            except SQLAlchemyError:
                # The database went away mid-request (the answer is already its 503): the
                # connection is gone with whatever it held, so there is nothing left to undo.
                db.session.close()
        return response


def register_observability(app: Flask) -> None:
    from server import observability

    observability.init_app(app)


def register_cli(app: Flask) -> None:
    from server import cli

    cli.register(app)
