"""Directory search and the per-region settlement summary (开通情况).

Keyword strategy, because a trigram index cannot serve the common two-character keywords (协和, 华西):
every name's character bigrams are posted in `institution_tokens` at import. A query takes the
rarest bigram of its keyword:
- rare (at most RARE_POSTINGS rows): fetch just those ids, check the whole keyword with LIKE, filter,
  sort. Bounded work whatever the other filters are.
- common (人民, 医院): matches are dense, so walking an index already in display order (region,
  province, or the whole directory) with the LIKE check finds a page after a few hundred rows.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, case, func, select

from server.errors import Problem
from server.extensions import db
from server.institutions.directory import (CHRONIC_DISEASES, DISEASE_BIT, DISEASE_LABEL, KINDS,
                                           LEVEL_RANK, SETTLEMENTS, bigrams, bits_to_diseases)
from server.institutions.models import Institution, InstitutionToken
from server.regions.catalogue import get_catalogue

RARE_POSTINGS = 2000
MAX_PER_PAGE = 50


class SearchInputError(ValueError):
    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class Page:
    items: list  # rows of the institutions table
    page: int
    per_page: int
    has_more: bool


def _like_pattern(keyword: str) -> str:
    escaped = keyword.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _place_column(code: str) -> tuple[str, str]:
    """The column a place filters on and its value: a province code filters by province; anything
    else must name (or lie inside) a pooling region."""
    cat = get_catalogue()
    region = cat.get(code)
    if region is not None and region.level == "province":
        return "province_code", region.code
    pool = cat.pooling_region_for(code)
    if pool is None:
        raise SearchInputError(Problem("region", "institutions.unknown_region", "没有找到这个地区"))
    if pool.level == "municipality":
        return "province_code", pool.province_code
    return "region_code", pool.code


def place_filter(code: str):
    column, value = _place_column(code)
    return getattr(Institution, column) == value


# Built once: a keyword search runs it once per bigram, and building it cost more than running it.
# Ordered like the primary key so PostgreSQL counts with an index-only scan: without the ORDER BY
# it picked a sequential scan for common bigrams (4.4 ms instead of 1.4 ms at 100k institutions).
_POSTING_COUNT = select(func.count()).select_from(
    select(InstitutionToken.institution_id).where(InstitutionToken.token == bindparam("token"))
    .order_by(InstitutionToken.token, InstitutionToken.institution_id)
    .limit(bindparam("cap")).subquery())


def _posting_count(token: str, cap: int) -> int:
    """Postings of a bigram, counted up to cap + 1 (enough to tell rare from common)."""
    return db.session.execute(_POSTING_COUNT, {"token": token, "cap": cap + 1}).scalar_one()


_SEARCH_QUERIES: dict = {}


def _search_query(shape: tuple):
    """The statement for one combination of filters, built once, with bound parameters: building it
    on every request cost more than a cheap search's query."""
    query = _SEARCH_QUERIES.get(shape)
    if query is not None:
        return query
    place, kind, level, settlement, disease, keyword, rare = shape
    conditions = []
    if place:
        conditions.append(getattr(Institution, place) == bindparam("place"))
    if kind:
        conditions.append(Institution.kind == bindparam("kind"))
    if level:
        conditions.append(Institution.level_rank == bindparam("level_rank", type_=Integer))
    if settlement:
        conditions.append(getattr(Institution, settlement).is_(True))
    if disease:
        conditions.append(Institution.chronic_diseases.op("&")(bindparam("disease_bit", type_=Integer)) != 0)
    if keyword:
        conditions.append(Institution.name.like(bindparam("pattern"), escape="\\"))
    if rare:
        ids = select(InstitutionToken.institution_id).where(InstitutionToken.token == bindparam("rarest"))
        conditions.append(Institution.id.in_(ids))
    # Plain rows of the table (to_dict reads the same names): an ORM object per hit cost more
    # than reading it, and a search changes nothing.
    query = (select(Institution.__table__).where(*conditions)
             .order_by(Institution.level_rank, Institution.name, Institution.code)
             .offset(bindparam("offset", type_=Integer)).limit(bindparam("limit", type_=Integer)))
    _SEARCH_QUERIES[shape] = query
    return query


def search(*, region: str | None = None, keyword: str | None = None, kind: str | None = None,
           level: str | None = None, settlement: str | None = None, disease: str | None = None,
           page: int = 1, per_page: int = 20) -> Page:
    params: dict = {}
    place = None
    if region:
        place, params["place"] = _place_column(region)
    if kind:
        params["kind"] = kind
    if level:
        params["level_rank"] = LEVEL_RANK[level]
    if disease:
        params["disease_bit"] = DISEASE_BIT[disease]
    if settlement:
        getattr(Institution, settlement)  # one of the settlement columns (the schema's choice)
    keyword = (keyword or "").strip()
    rare = False
    if keyword:
        params["pattern"] = _like_pattern(keyword)
        grams = sorted(bigrams(keyword))
        if grams:
            counts = {g: _posting_count(g, RARE_POSTINGS) for g in grams}
            rarest = min(grams, key=counts.get)
            if counts[rarest] == 0:
                return Page([], page, per_page, False)
            if counts[rarest] <= RARE_POSTINGS:
                rare, params["rarest"] = True, rarest
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    params.update(offset=(page - 1) * per_page, limit=per_page + 1)
    shape = (place, bool(kind), bool(level), settlement or None, bool(disease), bool(keyword), rare)
    rows = db.session.execute(_search_query(shape), params).all()
    return Page(rows[:per_page], page, per_page, len(rows) > per_page)


def to_dict(inst: Institution, *, with_region: bool = True) -> dict:
    out = {
        "code": inst.code, "name": inst.name, "kind": inst.kind, "kind_label": KINDS.get(inst.kind, inst.kind),
        "level": inst.level, "region_code": inst.region_code, "province_code": inst.province_code,
        "district": inst.district, "address": inst.address, "phone": inst.phone,
        "settlement": {"inpatient": inst.inpatient, "general_outpatient": inst.general_outpatient,
                       "chronic_outpatient": inst.chronic_outpatient},
        "chronic_diseases": [{"code": c, "label": DISEASE_LABEL[c]} for c in bits_to_diseases(inst.chronic_diseases)],
        "is_demo": inst.is_demo,
    }
    if with_region:
        cat = get_catalogue()
        region, province = cat.get(inst.region_code), cat.get(inst.province_code)
        out["region_name"] = region.name if region else None
        out["province_name"] = province.name if province else None
    return out


def settlement_status(region_code: str) -> dict:
    """Per pooling region: how many networked institutions offer each direct settlement, and whether
    it is open there (at least one)."""
    cat = get_catalogue()
    pool = cat.pooling_region_for(region_code)
    if pool is None:
        raise SearchInputError(Problem("region", "institutions.unknown_region", "没有找到这个统筹区"))
    where = (Institution.province_code == pool.province_code if pool.level == "municipality"
             else Institution.region_code == pool.code)

    def count_if(cond):
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    columns = [func.count(),
               count_if(Institution.kind == "hospital"), count_if(Institution.kind == "pharmacy"),
               *(count_if(getattr(Institution, s).is_(True)) for s in SETTLEMENTS),
               *(count_if(Institution.chronic_diseases.op("&")(DISEASE_BIT[c]) != 0) for c, _ in CHRONIC_DISEASES)]
    row = db.session.execute(select(*columns).where(where)).one()
    total, hospitals, pharmacies = row[0], row[1], row[2]
    settle = row[3:3 + len(SETTLEMENTS)]
    diseases = row[3 + len(SETTLEMENTS):]
    province = cat.get(pool.province_code)
    return {
        "region_code": pool.code, "region_name": pool.name,
        "province_code": pool.province_code, "province_name": province.name if province else None,
        "institutions": int(total), "hospitals": int(hospitals), "pharmacies": int(pharmacies),
        "settlements": [{"code": code, "label": label, "institutions": int(n), "open": int(n) > 0}
                        for (code, label), n in zip(SETTLEMENTS.items(), settle)],
        "chronic_diseases": [{"code": code, "label": label, "institutions": int(n), "open": int(n) > 0}
                             for (code, label), n in zip(CHRONIC_DISEASES, diseases)],
    }
