"""The benchmark's two baselines, served by gunicorn under the same settings as the app:

    GET /json  a small JSON body, nothing else (the cost of Flask + gunicorn + HTTP)
    GET /row   one row read by primary key with plain SQL on the same database as the app

    DATABASE_URL=... gunicorn --pythonpath scripts bench_baseline:app
"""
from __future__ import annotations

import os
import random

from flask import Flask, jsonify
from sqlalchemy import create_engine, event, text

app = Flask(__name__)
_engine = None
_max_id = 0
_SQL = text("SELECT id, code, name, region_code, level FROM institutions WHERE id = :id")


def engine():
    global _engine
    if _engine is None:
        # Created lazily so each gunicorn worker gets its own pool after the fork.
        url = os.environ["DATABASE_URL"]
        # The app's pool settings: a ping before each use on PostgreSQL, none on a SQLite file.
        _engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
        if _engine.dialect.name == "sqlite":
            @event.listens_for(_engine, "connect")
            def _pragmas(conn, _record):  # same pragmas as the app
                cur = conn.cursor()
                cur.execute("PRAGMA busy_timeout=5000")
                cur.execute("PRAGMA journal_mode=WAL")
                cur.execute("PRAGMA synchronous=NORMAL")
                cur.close()
    return _engine


@app.get("/json")
def small_json():
    return jsonify(status="ok", service="baseline")


@app.get("/row")
def one_row():
    global _max_id
    with engine().connect() as conn:
        if not _max_id:  # once per worker: the table is loaded before the first request
            _max_id = conn.execute(text("SELECT max(id) FROM institutions")).scalar() or 1
        row_id = random.randint(1, _max_id)
        row = conn.execute(_SQL, {"id": row_id}).mappings().first()
    if row is None:
        return jsonify(error={"code": "not_found", "message": "没有这一行"}), 404
    return jsonify(dict(row))
