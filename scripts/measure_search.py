#!/usr/bin/env python3
"""Quick latency check of the directory search at benchmark size (not the official benchmark).

    python scripts/measure_search.py --db sqlite:///instance/measure.db --count 650000
    python scripts/measure_search.py --db postgresql+psycopg://USER@HOST/DB --count 650000

Loads a generated directory through the real importer (skipped when the database already holds
--count rows), then times GET /api/v1/institutions through the Flask test client for a mix of
queries and prints p50/p95 per query kind and overall.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUERIES = [
    ("keyword 2 chars, nationwide", {"keyword": "协和"}),
    ("keyword 2 chars, nationwide", {"keyword": "华西"}),
    ("keyword 2 chars, nationwide", {"keyword": "人民"}),
    ("keyword 2 chars, nationwide", {"keyword": "中医"}),
    ("keyword 2 chars, nationwide", {"keyword": "妇幼"}),
    ("keyword + province", {"keyword": "人民", "region": "510000"}),
    ("keyword + province", {"keyword": "协和", "region": "420000"}),
    ("keyword + region", {"keyword": "中医", "region": "510100"}),
    ("keyword + region", {"keyword": "人民", "region": "110000"}),
    ("keyword + region", {"keyword": "妇幼", "region": "330700"}),
    ("keyword + region + filters", {"keyword": "人民", "region": "440100", "settlement": "inpatient"}),
    ("keyword 4 chars", {"keyword": "人民医院", "region": "320000"}),
    ("keyword 4 chars", {"keyword": "协和医院"}),
    ("region only", {"region": "310000"}),
    ("region only", {"region": "650100", "kind": "hospital"}),
    ("region + level + disease", {"region": "510100", "level": "三级", "disease": "organ_transplant"}),
    ("province + chronic", {"region": "370000", "settlement": "chronic_outpatient"}),
    ("nationwide + disease", {"disease": "ankylosing_spondylitis", "kind": "hospital"}),
    ("page 5", {"keyword": "人民", "region": "410000", "page": "5"}),
    ("no match", {"keyword": "不存在的"}),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--count", type=int, default=650_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--file", help="an existing CSV from gen_institutions.py")
    args = parser.parse_args(argv)

    from sqlalchemy import func, select

    from server import create_app
    from server.config import TestConfig
    from server.extensions import db
    from server.institutions import importer
    from server.institutions.models import Institution

    app = create_app(TestConfig(SQLALCHEMY_DATABASE_URI=args.db))
    with app.app_context():
        db.create_all()
        have = db.session.execute(select(func.count()).select_from(Institution)).scalar_one()
        if have < args.count:
            path = args.file
            if not path:
                from scripts.gen_institutions import main as gen
                path = str(Path(tempfile.mkdtemp()) / "institutions.csv")
                gen(["--count", str(args.count), "--out", path])
            t0 = time.perf_counter()
            result = importer.import_file(Path(path).read_bytes(), "csv",
                                          progress=lambda n: print(".", end="", flush=True))
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("VACUUM ANALYZE")
            else:
                with db.engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
            print(f"\nimported {result} in {time.perf_counter() - t0:.1f}s")
        have = db.session.execute(select(func.count()).select_from(Institution)).scalar_one()
        print(f"{db.engine.dialect.name}: {have} institutions")

    client = app.test_client()
    for _, params in QUERIES:  # warm caches once
        client.get("/api/v1/institutions", query_string=params)
    rng = random.Random(1)
    timings: dict[str, list[float]] = {}
    every: list[float] = []
    for _ in range(args.rounds):
        order = QUERIES[:]
        rng.shuffle(order)
        for label, params in order:
            t0 = time.perf_counter()
            resp = client.get("/api/v1/institutions", query_string=params)
            ms = (time.perf_counter() - t0) * 1000
            assert resp.status_code == 200, resp.json
            timings.setdefault(label, []).append(ms)
            every.append(ms)

    def p95(values):
        return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]

    for label, values in timings.items():
        print(f"{label:32s} p50 {statistics.median(values):6.2f} ms   p95 {p95(values):6.2f} ms")
    print(f"{'ALL':32s} p50 {statistics.median(every):6.2f} ms   p95 {p95(every):6.2f} ms   n={len(every)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
