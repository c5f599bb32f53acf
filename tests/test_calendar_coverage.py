"""The working-day calendar must not run out silently: start-up and /readyz warn when the published
data does not reach 90 days ahead; `flask holidays import` adds a year for every app server.

"Today" is frozen (the app reads it through server.common.timeutil.today_cn). The arrangement
imported here is made up for the test (2027's has not been published as of 2026-12-01)."""
from __future__ import annotations

import json
import logging
from datetime import date

import pytest

from server import create_app
from server.common import timeutil
from server.config import TestConfig
from server.extensions import db as _db
from server.review import workdays

# A made-up arrangement in the shape of a State Council notice (test data, not the real 2027).
TEST_2027_CSV = """date,kind,note
2027-01-01,holiday,元旦
2027-02-05,holiday,春节
2027-02-06,holiday,春节
2027-02-07,holiday,春节
2027-02-08,holiday,春节
2027-02-09,holiday,春节
2027-02-10,holiday,春节
2027-02-11,holiday,春节
2027-02-12,holiday,春节
2027-01-31,workday,春节调休上班（星期日）
2027-02-20,workday,春节调休上班（星期六）
"""


@pytest.fixture(autouse=True)
def _fresh_calendar(app):
    with app.app_context():
        workdays.reload_table()
    yield
    with app.app_context():
        workdays.reload_table()


def freeze_today(monkeypatch, day: date) -> None:
    monkeypatch.setattr(timeutil, "today_cn", lambda: day)


def test_coverage_is_pure_and_names_the_first_unknown_day():
    status = workdays.coverage(date(2026, 12, 1), table=workdays.HolidayTable())
    assert status["ok"] is False
    assert status["first_unknown_day"] == "2027-01-01"
    assert status["needed_until"] == "2027-03-01"
    assert "2027" in status["warning"] and "flask holidays import" in status["warning"]
    assert workdays.coverage(date(2026, 9, 1), table=workdays.HolidayTable())["ok"] is True
    # Past chinese_calendar's last year the table alone decides.
    known = workdays.HolidayTable.from_dict({"years": {"2027": {"holidays": ["2027-01-01"]}}})
    assert workdays.coverage(date(2026, 12, 1), table=known)["ok"] is True
    assert workdays.coverage(date(2027, 11, 1), table=known)["first_unknown_day"] == "2028-01-01"


def test_readyz_warns_when_the_calendar_runs_out(client, monkeypatch):
    freeze_today(monkeypatch, date(2026, 12, 1))
    resp = client.get("/readyz")
    assert resp.status_code == 200  # still fit to serve: a warning, not an outage
    assert resp.json["status"] == "ready"
    assert resp.json["details"]["calendar"]["first_unknown_day"] == "2027-01-01"
    assert any("2027" in w for w in resp.json["warnings"])

    freeze_today(monkeypatch, date(2026, 6, 1))
    resp = client.get("/readyz")
    assert resp.json == {"status": "ready"}


def test_start_up_logs_the_warning(app, monkeypatch, caplog):
    freeze_today(monkeypatch, date(2026, 12, 1))
    with caplog.at_level(logging.WARNING, logger="server.health"):
        other = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        assert any("no published holiday arrangement for 2027" in r.getMessage() for r in caplog.records)
    finally:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()


def test_import_reaches_every_app_server_and_the_deadlines(app, client, monkeypatch, tmp_path):
    freeze_today(monkeypatch, date(2026, 12, 1))
    path = tmp_path / "2027.csv"
    path.write_text(TEST_2027_CSV, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["holidays", "import", str(path), "--year", "2027",
                                                "--source", "test arrangement"])
    assert result.exit_code == 0, result.output
    assert "2027: 9 holidays, 2 make-up working days" in result.output
    assert "covers the next 90 days" in result.output
    assert client.get("/readyz").json == {"status": "ready"}

    # Another app server (its own process memory, the same database) counts with the new year.
    other = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        with other.app_context():
            assert not workdays.is_working_day(date(2027, 2, 8))      # Monday, in the festival
            assert workdays.is_working_day(date(2027, 1, 31))         # Sunday made a working day
            assert workdays.add_working_days(date(2027, 2, 4), 2) == date(2027, 2, 16)
            assert other.test_client().get("/readyz").json == {"status": "ready"}
    finally:
        with other.app_context():
            _db.session.remove()
            _db.engine.dispose()

    # Importing the year again replaces it (no duplicate days, removed days are gone).
    path.write_text("\n".join(TEST_2027_CSV.splitlines()[:-1]) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["holidays", "import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert not workdays.is_working_day(date(2027, 2, 20))  # no longer a make-up day
        from server.review.models import CalendarDay
        assert _db.session.query(CalendarDay).filter_by(year=2027).count() == 10


def test_import_json_in_the_shipped_format(app, tmp_path):
    path = tmp_path / "holidays.json"
    days = [f"2027-10-0{d}" for d in range(1, 8)]
    path.write_text(json.dumps({"years": {"2027": {"source": "test notice", "holidays": days,
                                                   "workdays": ["2027-09-26"]}}}), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["holidays", "import", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert not workdays.is_working_day(date(2027, 10, 4))
        assert workdays.is_working_day(date(2027, 9, 26))


@pytest.mark.parametrize("body, fmt, message", [
    (TEST_2027_CSV + "2027-02-22,workday\n", "csv", "is a weekday"),
    (TEST_2027_CSV + "2027-02-05,workday\n", "csv", "both as a holiday and as a working day"),
    (TEST_2027_CSV + "2027-13-01,holiday\n", "csv", "is not a date"),
    (TEST_2027_CSV + "2027-03-01,maybe\n", "csv", "kind must be"),
    ("date,kind\n2027-01-01,holiday\n", "csv", "only 1 holidays"),
    ("[1, 2]", "json", "must be an object"),
])
def test_import_refuses_a_wrong_file(app, tmp_path, body, fmt, message):
    path = tmp_path / f"bad.{fmt}"
    path.write_text(body, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["holidays", "import", str(path)])
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        from server.review.models import CalendarDay
        assert _db.session.query(CalendarDay).count() == 0


def test_import_refuses_dates_outside_the_year(app, tmp_path):
    path = tmp_path / "2027.csv"
    path.write_text(TEST_2027_CSV + "2028-01-01,holiday\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["holidays", "import", str(path), "--year", "2027"])
    assert result.exit_code != 0 and "is not in 2027" in result.output
