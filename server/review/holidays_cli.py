"""flask holidays import FILE | status: the State Council's yearly holiday arrangement."""
from __future__ import annotations

from pathlib import Path

import click

from server.common.timeutil import today_cn
from server.review import workdays


def register_cli(app) -> None:
    @app.cli.group("holidays")
    def holidays_group():
        """Holidays and make-up working days for review deadlines."""

    @holidays_group.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--year", type=int, help="refuse dates outside this year")
    @click.option("--source", help="the notice's title and date (CSV files carry none)")
    def import_cmd(file: Path, year: int | None, source: str | None):
        """Import a year's arrangement from CSV (date,kind) or JSON; replaces that year."""
        fmt = file.suffix.lower().lstrip(".")
        try:
            entries = workdays.parse_arrangement(file.read_text(encoding="utf-8-sig"), fmt,
                                                 year=year, source=source)
        except workdays.ArrangementError as exc:
            raise click.ClickException(str(exc)) from None
        workdays.store_arrangement(entries)
        for y, entry in sorted(entries.items()):
            click.echo(f"{y}: {len(entry['holidays'])} holidays, {len(entry['workdays'])} make-up "
                       f"working days ({entry['source']})")
        _echo_status()

    @holidays_group.command("status")
    def status_cmd():
        """How far ahead the published arrangements reach."""
        _echo_status()


def _echo_status() -> None:
    status = workdays.coverage(today_cn())
    if status["ok"]:
        click.echo(f"calendar covers the next {workdays.COVERAGE_DAYS} days (to {status['needed_until']})")
    else:
        click.echo("warning: " + status["warning"])
