"""flask notifications deliver|dead-letters|retry|reminders, flask maintenance."""
from __future__ import annotations

import click

from server.extensions import db


def register_cli(app) -> None:
    from server.notifications import templates

    # A template mapping that cannot work fails the start, not the first message.
    try:
        templates.configured(app.config)
    except ValueError as exc:
        raise RuntimeError(str(exc)) from None

    @app.cli.group("notifications")
    def group():
        """Subscribe messages: the outbox and its dead letters."""

    @group.command("deliver")
    def deliver():
        """Deliver what is due now (the worker does this every minute)."""
        from server.tasks import run_delivery

        click.echo(run_delivery())

    @group.command("dead-letters")
    def dead_letters():
        """Messages WeChat refused (bad content or template): one line each."""
        from server.notifications.delivery import dead_letters as rows

        found = rows()
        for n in found:
            click.echo(f"{n.id}\t{n.kind}\tfiling {n.filing_id}\tattempts {n.attempts}\t{n.last_error}")
        click.echo(f"{len(found)} dead letter(s)")

    @group.command("retry")
    @click.argument("ids", nargs=-1, type=int)
    def retry(ids):
        """Put dead letters back in the outbox (all, or the ids given), e.g. after fixing a template."""
        from server.notifications.delivery import retry_dead

        click.echo(f"{retry_dead(list(ids))} message(s) queued again")

    @app.cli.command("maintenance")
    def maintenance():
        """Expiry, reminders and clean-ups now (the worker runs this every hour)."""
        from server.tasks import run_maintenance

        click.echo(run_maintenance())
        db.session.commit()
