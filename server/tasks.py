"""Background and scheduled work on Huey (`huey_consumer server.tasks.huey`).

Storage: a SQLite file beside the embedded database by default (one machine), Redis when REDIS_URL
is set, so several workers share one queue in production. Every job is safe to run twice or from
two workers at once: delivery claims each message, reminders carry a dedupe key, expiry moves only
filings still approved, and a short lock in the shared store keeps two maintenance runs apart."""
from __future__ import annotations

import logging
import os
import threading
from datetime import datetime

from huey import RedisHuey, SqliteHuey, crontab

from server.config import INSTANCE

log = logging.getLogger(__name__)


def make_huey():
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        return RedisHuey("filing", url=redis_url, utc=True)
    path = os.environ.get("HUEY_SQLITE_PATH") or str(INSTANCE / "huey.db")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return SqliteHuey("filing", filename=path, utc=True)


huey = make_huey()
_app = None
_app_lock = threading.Lock()


def flask_app():
    """The worker's own app (configuration from the environment, like the web servers'), made once
    per process: the consumer's threads ask for it at the same moment."""
    global _app
    with _app_lock:
        if _app is None:
            from server import create_app

            _app = create_app()
    return _app


# Reminders go out in the daytime (China time): nobody wants a filing notice at 3 a.m.
DAY_HOURS = range(8, 21)


def run_maintenance(now: datetime | None = None) -> dict:
    """Expiry, reminders and clean-ups; what the hourly job does."""
    from server.common.kv import get_kv
    from server.common.timeutil import now_utc, to_cn
    from server.extensions import db
    from server.housekeeping import sweep
    from server.notifications.outbox import enqueue_reminders
    from server.records.service import expire_filings

    now = now or now_utc()
    local = to_cn(now)
    if not get_kv().add(f"job:maintenance:{local:%Y%m%d%H}", "1", 600):
        return {"skipped": True}
    done: dict = {"skipped": False}
    if local.hour in DAY_HOURS:
        done["expired"] = expire_filings(local.date())
        done["reminders"] = enqueue_reminders(local.date())
    swept = sweep(now)
    done.update(tokens=swept.tokens, kv_entries=swept.kv_entries, drafts=swept.drafts,
                chat_sessions=swept.chat_sessions)
    db.session.commit()
    log.info("maintenance %s", done)
    return done


def run_delivery(now: datetime | None = None) -> dict:
    from server.notifications.delivery import deliver_pending

    report = deliver_pending(now=now)
    if report.ids:
        log.info("delivered sent=%s in_app=%s retried=%s dead=%s", report.sent, report.in_app,
                 report.retried, report.dead)
    return {"sent": report.sent, "in_app": report.in_app, "retried": report.retried, "dead": report.dead}


@huey.periodic_task(crontab(minute="5"))
def maintenance():
    with flask_app().app_context():
        return run_maintenance()


@huey.periodic_task(crontab(minute="*"))
def delivery():
    with flask_app().app_context():
        return run_delivery()


@huey.task()
def catch_up():
    """A worker that starts (or restarts after a crash) does at once what it may have missed."""
    with flask_app().app_context():
        run_maintenance()
        run_delivery()


@huey.on_startup()
def _on_startup():
    catch_up()
