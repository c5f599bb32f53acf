"""跨省异地就医备案 backend: the Flask application factory."""
from __future__ import annotations

import logging

from flask import Flask

from server.config import Config, as_mapping


def create_app(config: Config | None = None) -> Flask:
    config = config or Config()
    problems = config.problems()
    if problems:
        raise RuntimeError("refusing to start in production: " + "; ".join(problems))
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(as_mapping(config))
    app.json.ensure_ascii = False

    register_logging(app)
    register_extensions(app)
    register_error_handlers(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_cli(app)
    return app


def register_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def register_extensions(app: Flask) -> None:
    from server.extensions import api, db, migrate
    from server import models  # noqa: F401  (every model registered before mappers configure)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    with app.app_context():
        _sqlite_pragmas(db.engine)
    api.init_app(app)


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
    from server.extensions import api
    from server import health, docs
    from server.accounts.routes import blp as auth_blp
    from server.regions.routes import blp as regions_blp

    app.register_blueprint(health.bp)
    app.register_blueprint(docs.bp)
    api.register_blueprint(auth_blp)
    api.register_blueprint(regions_blp)
    for module in _optional_blueprints():
        api.register_blueprint(module.blp)
    for module in _optional_plain_blueprints():
        app.register_blueprint(module.bp)


def _optional_blueprints():
    """Feature blueprints; listed here so create_app stays the table of contents."""
    import importlib

    names = [
        "server.filing.routes",
        "server.review.routes",
        "server.records.routes",
        "server.chat.routes",
        "server.institutions.routes",
    ]
    out = []
    for name in names:
        try:
            out.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if not name.startswith(exc.name or '?'):
                raise
    return out


def _optional_plain_blueprints():
    import importlib

    out = []
    for name in ["server.institutions.pages"]:
        try:
            out.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if not name.startswith(exc.name or '?'):
                raise
    return out


def register_request_hooks(app: Flask) -> None:
    from flask import g

    from server.extensions import db

    @app.before_request
    def _fresh_identity():
        # g lives on the app context, which a test may hold across requests: identity is per request.
        for name in ("auth_token", "user", "staff"):
            g.pop(name, None)

    @app.after_request
    def _commit(response):
        # Services flush; the request commits once, only when it succeeded.
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response


def register_cli(app: Flask) -> None:
    from server import cli

    cli.register(app)
