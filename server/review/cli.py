"""flask staff create|deactivate|list|set-password|unlock, flask expire-filings, and the demo reviewer."""
from __future__ import annotations

import sys

import click
from flask import current_app
from sqlalchemy import select

from server.accounts import staff as staff_service
from server.accounts.models import StaffAccount
from server.extensions import db

DEMO_REVIEWER = "demo-reviewer"
DEMO_PASSWORD = "demo-only-password"  # noqa: S105 - demo data, refused in production
DEMO_REGIONS = ("330700", "510100", "110000", "440100", "370700")
DEMO_COUNTER = "demo-counter"
DEMO_COUNTER_INSTITUTION = "DEMOH11000001"  # 北京协和医院（演示数据）


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("密码", hide_input=True, confirmation_prompt=True)


def register_cli(app) -> None:
    @app.cli.group("staff")
    def staff_group():
        """Staff accounts (reviewers and counter staff)."""

    @staff_group.command("create")
    @click.option("--username", required=True)
    @click.option("--role", type=click.Choice(staff_service.ROLES), required=True)
    @click.option("--region", "regions", multiple=True, help="insured region code (reviewer), repeatable")
    @click.option("--institution", "institution_code", help="institution code (counter)")
    @click.option("--display-name")
    @click.option("--password-stdin", is_flag=True, help="read the password from the first line of stdin")
    def create(username, role, regions, institution_code, display_name, password_stdin):
        institution_id = None
        if institution_code:
            from server.institutions.models import Institution

            institution_id = db.session.scalar(select(Institution.id).where(Institution.code == institution_code))
            if institution_id is None:
                raise click.ClickException(f"no institution with code {institution_code}")
        codes = [c.strip() for r in regions for c in r.split(",") if c.strip()]
        password = _read_password(password_stdin)
        try:
            account = staff_service.create_staff(username, password, role, region_codes=codes,
                                                 institution_id=institution_id, display_name=display_name)
        except staff_service.StaffInputError as exc:
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(f"created {account.role} {account.username} (id {account.id})")

    @staff_group.command("deactivate")
    @click.option("--username", required=True)
    def deactivate(username):
        account = staff_service.get_by_username(username)
        if account is None:
            raise click.ClickException(f"no staff account {username}")
        staff_service.deactivate(account)
        db.session.commit()
        click.echo(f"deactivated {account.username}; its tokens are revoked")

    @staff_group.command("set-password")
    @click.option("--username", required=True)
    @click.option("--password-stdin", is_flag=True)
    def set_password(username, password_stdin):
        account = staff_service.get_by_username(username)
        if account is None:
            raise click.ClickException(f"no staff account {username}")
        try:
            staff_service.set_password(account, _read_password(password_stdin))
        except staff_service.StaffInputError as exc:
            raise click.ClickException(exc.message) from None
        db.session.commit()
        click.echo(f"password changed for {account.username}")

    @staff_group.command("unlock")
    @click.option("--username", required=True)
    def unlock(username):
        """Forget the failed logins of USERNAME from every address (after the owner asked)."""
        from server.accounts import lockout

        sources = lockout.unlock(username.strip().lower())
        click.echo(f"unlocked {username.strip().lower()}: failures from {sources} address(es) forgotten")

    @staff_group.command("list")
    def list_staff():
        for account in db.session.scalars(select(StaffAccount).order_by(StaffAccount.username)):
            scope = ",".join(account.region_codes or []) if account.role == "reviewer" \
                else f"institution {account.institution_id}"
            state = "active" if account.active else "inactive"
            click.echo(f"{account.id}\t{account.username}\t{account.role}\t{scope}\t{state}")

    @app.cli.command("expire-filings")
    def expire_filings():
        """Mark approved temporary filings past their end date as expired (records the events)."""
        from server.records.service import expire_filings as run

        count = run()
        db.session.commit()
        click.echo(f"expired {count} filing(s)")


def seed_demo() -> str | None:
    """A demo reviewer for a few insured places and a demo counter account at a demo hospital;
    passwords are printed only when an account was just created, and never in production."""
    if current_app.config.get("APP_ENV") == "production":
        return None
    from server.institutions.models import Institution

    said = []
    if staff_service.get_by_username(DEMO_REVIEWER) is None:
        staff_service.create_staff(DEMO_REVIEWER, DEMO_PASSWORD, "reviewer", region_codes=DEMO_REGIONS,
                                   display_name="演示审核员")
        said.append(f"demo reviewer created: username {DEMO_REVIEWER}, password {DEMO_PASSWORD} "
                    f"(demo only; regions {', '.join(DEMO_REGIONS)})")
    institution = db.session.execute(
        select(Institution).filter_by(code=DEMO_COUNTER_INSTITUTION)).scalar_one_or_none()
    if institution is not None and staff_service.get_by_username(DEMO_COUNTER) is None:
        staff_service.create_staff(DEMO_COUNTER, DEMO_PASSWORD, "counter", institution_id=institution.id,
                                   display_name="演示窗口")
        said.append(f"demo counter account created: username {DEMO_COUNTER}, password {DEMO_PASSWORD} "
                    f"(demo only; {institution.name})")
    return "\n".join(said) or None
