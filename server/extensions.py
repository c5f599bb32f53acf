from __future__ import annotations

import click
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from server.common.openapi import Api

# Named constraints so Alembic migrations are stable on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
api = Api()


class LazyMigrate:
    """Flask-Migrate without importing it (and Alembic, about 40 MB of a worker's memory) until a
    migration runs: `flask db ...`, or `flask_migrate.upgrade()` in the server's start-up prepare.
    Serving requests never needs it."""

    def __init__(self, **options):
        self.options = options

    def init_app(self, app, db, directory: str) -> None:
        app.extensions["migrate"] = _MigrateConfigProxy(app, db, directory, self.options)
        app.cli.add_command(_MigrateCommands("db", help="Perform database migrations."))


class _MigrateConfigProxy:
    """Stands in app.extensions["migrate"]; the first attribute asked for sets Flask-Migrate up."""

    def __init__(self, app, db, directory, options):
        self._setup = (app, db, directory, options)

    def __getattr__(self, name):
        app, db, directory, options = self._setup
        from flask_migrate import Migrate

        Migrate(**options).init_app(app, db, directory=directory)  # replaces this proxy
        return getattr(app.extensions["migrate"], name)


class _MigrateCommands(click.Group):
    """`flask db`: stands in the command list; run, it hands over to Flask-Migrate's own group
    (its options, subcommands and help), imported only then."""

    def make_context(self, info_name, args, parent=None, **extra):
        from flask_migrate.cli import db as group

        return group.make_context(info_name, args, parent=parent, **extra)


migrate = LazyMigrate(compare_type=True, render_as_batch=True)
