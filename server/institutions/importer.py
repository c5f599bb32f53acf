"""Loading a checked directory into the database: upsert by code, keeping the bigram index in step.

All-or-nothing is the caller's transaction: this module flushes, never commits.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import delete, insert, select, tuple_, update

from server.extensions import db
from server.institutions.directory import CleanRow, bigrams, validate_rows, read_rows
from server.institutions.models import Institution, InstitutionToken
from server.regions.catalogue import get_catalogue

BATCH = 5000


def resolve_region(code: str) -> tuple[str, str] | None:
    """A pooling region (or an alias or a district inside one) -> (region code, province code)."""
    region = get_catalogue().pooling_region_for(code)
    if region is None:
        return None
    return region.code, region.province_code


class ImportFailed(Exception):
    def __init__(self, errors):
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


def import_file(data: bytes | str, fmt: str, progress: Callable[[int], None] | None = None) -> dict:
    """Validate every row first; load only when all are good (ImportFailed lists the problems)."""
    try:
        clean, errors = validate_rows(read_rows(data, fmt), resolve_region)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ImportFailed([f"文件无法读取：{exc}"]) from None
    if errors:
        raise ImportFailed(errors)
    return upsert_rows(clean, progress)


def upsert_rows(rows: Sequence[CleanRow], progress: Callable[[int], None] | None = None) -> dict:
    table = Institution.__table__
    tokens = InstitutionToken.__table__
    existing: dict[str, tuple[int, str]] = {}
    codes = [r.values["code"] for r in rows]
    for start in range(0, len(codes), BATCH):
        chunk = codes[start:start + BATCH]
        for id_, code, name in db.session.execute(
                select(table.c.id, table.c.code, table.c.name).where(table.c.code.in_(chunk))):
            existing[code] = (id_, name)

    inserted = updated = 0
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        new = [r.values for r in chunk if r.values["code"] not in existing]
        old = [r.values for r in chunk if r.values["code"] in existing]
        if new:
            db.session.execute(insert(table), new)
            ids = dict(db.session.execute(select(table.c.code, table.c.id).where(
                table.c.code.in_([v["code"] for v in new]))).all())
            postings = [{"token": t, "institution_id": ids[v["code"]]} for v in new for t in bigrams(v["name"])]
            if postings:
                db.session.execute(insert(tokens), postings)
            inserted += len(new)
        if old:
            stale, fresh = [], []
            # ORM bulk UPDATE by primary key: one executemany, not one statement per row.
            db.session.execute(update(Institution), [{"id": existing[v["code"]][0], **v} for v in old])
            for v in old:
                id_, old_name = existing[v["code"]]
                if old_name != v["name"]:
                    before, after = bigrams(old_name), bigrams(v["name"])
                    stale.extend((t, id_) for t in before - after)
                    fresh.extend({"token": t, "institution_id": id_} for t in after - before)
            if stale:
                db.session.execute(delete(tokens).where(
                    tuple_(tokens.c.token, tokens.c.institution_id).in_(stale)))
            if fresh:
                db.session.execute(insert(tokens), fresh)
            updated += len(old)
        if progress:
            progress(len(chunk))
    db.session.flush()
    return {"inserted": inserted, "updated": updated}
