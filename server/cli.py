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


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo():
        """Load the demo data (idempotent: running it twice changes nothing)."""
        from server.extensions import db

        for module in _features():
            seed = getattr(module, "seed_demo", None)
            if seed:
                summary = seed()
                db.session.commit()
                if summary:
                    click.echo(summary)
        click.echo("demo data ready")

    for module in _features():
        hook = getattr(module, "register_cli", None)
        if hook:
            hook(app)
