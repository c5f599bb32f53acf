"""Command-line entry points (flask <command>). Each feature module adds its own commands here."""
from __future__ import annotations

import importlib

import click
from flask import Flask

# Modules that expose `register_cli(app)` and `seed_demo()`; listed in load order.
_FEATURES = [
    "server.institutions.cli",
    "server.review.cli",
    "server.filing.cli",
]


def _features():
    for name in _FEATURES:
        try:
            yield importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not name.startswith(exc.name or '?'):
                raise


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
