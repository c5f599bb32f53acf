"""Command-line entry points (flask <command>). Each feature module adds its own commands here."""
from __future__ import annotations

import click
from flask import Flask


def _features():
    """Modules that expose `register_cli(app)` and/or `seed_demo()`, in load order."""
    from server.common import keyrotation
    from server.institutions import cli as institutions_cli
    from server.notifications import cli as notifications_cli
    from server.review import cli as review_cli
    from server.review import holidays_cli

    return (institutions_cli, review_cli, notifications_cli, holidays_cli, keyrotation)


def seed_demo_data(echo=click.echo) -> None:
    """Load the demo data (idempotent), inside an app context."""
    from server.extensions import db

    for module in _features():
        seed = getattr(module, "seed_demo", None)
        if seed:
            summary = seed()
            db.session.commit()
            if summary:
                echo(summary)
    echo("demo data ready")


def prepare(app: Flask, *, demo: bool, echo=click.echo) -> None:
    """`flask db upgrade` and, with demo, `flask seed-demo`, in this process: scripts/run does this
    inside the server's own process, so a start imports the app once rather than three times."""
    from flask_migrate import upgrade

    from server.extensions import db

    with app.app_context():
        upgrade()
        if demo:
            seed_demo_data(echo)
        db.session.remove()
        db.engine.dispose()  # no connection crosses the fork into the workers


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo():
        """Load the demo data (idempotent: running it twice changes nothing)."""
        seed_demo_data()

    for module in _features():
        hook = getattr(module, "register_cli", None)
        if hook:
            hook(app)
