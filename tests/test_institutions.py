"""The directory: pure rules, import (validation, upsert, CLI), search, detail, 开通情况."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from server.extensions import db as _db
from server.institutions import directory
from server.institutions.cli import seed_demo
from server.institutions.importer import ImportFailed, import_file, resolve_region
from server.institutions.models import Institution, InstitutionToken
from scripts.gen_institutions import generate

HEADER = ",".join(directory.FIELDS) + "\n"


def csv_file(*rows: str) -> str:
    return HEADER + "".join(r + "\n" for r in rows)


GOOD = [
    "H510100001,四川大学华西医院,510100,武侯区,hospital,三级,国学巷37号,028-1,1,1,1,高血压|糖尿病,0",
    "H110000001,北京协和医院,110100,东城区,hospital,三级,,,1,1,1,器官移植术后抗排异治疗,0",
    "H110000002,北京市朝阳区协和社区卫生服务中心,110000,朝阳区,医院,一级,,,0,1,0,,0",
    "P110000001,同仁堂大药房（王府井店）,110000,东城区,药店,未定级,,,0,1,0,,0",
    "H330700001,金华市中心医院,330782,,hospital,三级,,,1,1,0,,0",
]


# --- pure ---------------------------------------------------------------------------------------

def test_bigrams_and_masks():
    assert directory.bigrams("北京协和医院") == {"北京", "京协", "协和", "和医", "医院"}
    assert directory.bigrams("协") == set()
    assert directory.mask_name("张三明") == "张*明"
    assert directory.mask_name("张三") == "张*"
    assert directory.mask_name("欧阳娜娜") == "欧**娜"
    bits = directory.diseases_to_bits(["hypertension", "ankylosing_spondylitis"])
    assert directory.bits_to_diseases(bits) == ["hypertension", "ankylosing_spondylitis"]


def test_validation_reports_every_problem_with_line_numbers():
    data = csv_file(
        GOOD[0],
        "H9,坏医院,999999,,hospital,四级,,,1,1,0,,0",          # line 3: short code, region, level
        GOOD[0].replace("四川大学华西医院", "重复"),                   # line 4: duplicate code
        "H000000009,某医院,510100,,clinic,三级,,,maybe,1,1,,0",     # line 5: kind, flag, no diseases
        "H000000010,某医院,510100,,hospital,二级,,,1,1,0,痛风,0",   # line 6: unknown disease
    )
    clean, errors = directory.validate_rows(directory.read_rows(data, "csv"), resolve_region)
    found = {(e.line, e.field) for e in errors}
    assert {(3, "code"), (3, "region_code"), (3, "level"), (4, "code"), (5, "kind"),
            (5, "inpatient"), (5, "chronic_diseases"), (6, "chronic_diseases")} <= found
    assert "第4行" in str(next(e for e in errors if e.line == 4))
    assert len(clean) == 1


def test_region_aliases_and_districts_resolve():
    assert resolve_region("110100") == ("110000", "110000")
    assert resolve_region("330782") == ("330700", "330000")  # 义乌市 -> 金华市
    assert resolve_region("999999") is None


# --- import -------------------------------------------------------------------------------------

def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def test_import_is_all_or_nothing_and_upserts(db):
    with pytest.raises(ImportFailed) as exc:
        import_file(csv_file(GOOD[0], "H1,坏,510100,,hospital,三级,,,1,1,0,,0"), "csv")
    assert any(e.line == 3 for e in exc.value.errors)
    assert count(Institution) == 0

    assert import_file(csv_file(*GOOD), "csv") == {"inserted": 5, "updated": 0}
    renamed = GOOD[1].replace("北京协和医院", "中国医学科学院北京协和医院")
    assert import_file(csv_file(renamed), "csv") == {"inserted": 0, "updated": 1}
    _db.session.commit()
    assert count(Institution) == 5
    inst = _db.session.scalar(select(Institution).where(Institution.code == "H110000001"))
    assert inst.name == "中国医学科学院北京协和医院" and inst.region_code == "110000"
    tokens = set(_db.session.scalars(select(InstitutionToken.token)
                                     .where(InstitutionToken.institution_id == inst.id)))
    assert tokens == directory.bigrams(inst.name)


def test_json_import_and_cli(app, tmp_path):
    rows = [dict(zip(directory.FIELDS, r.split(","))) for r in GOOD]
    path = tmp_path / "dir.json"
    path.write_text(json.dumps({"institutions": rows}, ensure_ascii=False), encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["institutions", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "5 added" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text(csv_file(GOOD[0], "H000000011,某医院,123456,,hospital,三级,,,1,1,0,,0"), encoding="utf-8")
    result = runner.invoke(args=["institutions", "import", str(bad), "--format", "csv"])
    assert result.exit_code != 0
    assert "第3行 region_code" in result.output and "未导入" in result.output


def test_demo_directory_covers_every_province_and_is_idempotent(db):
    from server.regions.catalogue import get_catalogue

    seed_demo()
    seed_demo()
    _db.session.commit()
    rows = _db.session.scalars(select(Institution)).all()
    assert len(rows) == 100
    assert all(r.is_demo and "演示" in r.name for r in rows)
    assert {r.province_code for r in rows} == {p.code for p in get_catalogue().provinces()}


def test_generator_is_deterministic_with_common_keywords():
    a, b = list(generate(3000, seed=3)), list(generate(3000, seed=3))
    assert a == b
    names = [r["name"] for r in a]
    assert len({r["code"] for r in a}) == 3000
    for kw in ("人民", "中医", "妇幼"):
        assert any(kw in n for n in names)
    clean, errors = directory.validate_rows(enumerate(a, start=2), resolve_region)
    assert errors == [] and len(clean) == 3000


# --- search -------------------------------------------------------------------------------------

@pytest.fixture
def loaded(app):
    with app.app_context():
        import_file(csv_file(*GOOD), "csv")
        seed_demo()
        _db.session.commit()


def names(resp):
    assert resp.status_code == 200, resp.json
    return [i["name"] for i in resp.json["items"]]


def test_search_two_character_keyword(client, loaded):
    found = names(client.get("/api/v1/institutions?keyword=协和"))
    assert "北京协和医院" in found and "北京协和医院（演示数据）" in found
    assert "福建医科大学附属协和医院（演示数据）" in found
    # Sorted by level, then name: the 一级 community centre comes last.
    assert found[-1] == "北京市朝阳区协和社区卫生服务中心"
    assert names(client.get("/api/v1/institutions?keyword=华西")) == ["四川大学华西医院", "四川大学华西医院（演示数据）"]
    assert names(client.get("/api/v1/institutions?keyword=协和&region=110000&level=一级")) == \
        ["北京市朝阳区协和社区卫生服务中心"]
    assert names(client.get("/api/v1/institutions?keyword=协和&region=420000")) == \
        ["华中科技大学同济医学院附属协和医院（演示数据）"]
    assert names(client.get("/api/v1/institutions?keyword=没有这家")) == []
    assert names(client.get("/api/v1/institutions?keyword=%25")) == []  # LIKE wildcards are literal


def test_search_filters_and_pages(client, loaded):
    found = names(client.get("/api/v1/institutions?region=110100&kind=pharmacy"))
    assert found == ["同仁堂大药房（王府井店）", "百姓健康大药房（北京演示店）（演示数据）"]
    found = names(client.get("/api/v1/institutions?region=110000&disease=organ_transplant"))
    assert "北京协和医院" in found and not any("药房" in n for n in found)
    found = names(client.get("/api/v1/institutions?region=110000&disease=ankylosing_spondylitis"))
    assert found == ["北京协和医院（演示数据）"]
    found = names(client.get("/api/v1/institutions?region=330000&settlement=inpatient"))
    assert set(found) == {"金华市中心医院", "浙江省人民医院（演示数据）", "浙江大学医学院附属第一医院（演示数据）",
                          "金华市中心医院（演示数据）"}
    page1 = client.get("/api/v1/institutions?kind=hospital&per_page=10").json
    page2 = client.get("/api/v1/institutions?kind=hospital&per_page=10&page=2").json
    assert page1["has_more"] and len(page1["items"]) == 10
    assert not {i["code"] for i in page1["items"]} & {i["code"] for i in page2["items"]}
    levels = [i["level"] for i in page1["items"]]
    assert levels == sorted(levels, key=directory.LEVEL_RANK.get)

    resp = client.get("/api/v1/institutions?region=999999")
    assert resp.status_code == 422 and resp.json["error"]["details"][0]["field"] == "region"
    assert client.get("/api/v1/institutions?level=四级").status_code == 422


def test_detail_and_settlement_status(client, loaded):
    detail = client.get("/api/v1/institutions/H510100001").json
    assert detail["region_name"] == "成都市" and detail["settlement"]["inpatient"] is True
    assert [d["label"] for d in detail["chronic_diseases"]] == ["高血压", "糖尿病"]
    assert client.get("/api/v1/institutions/NOPE").status_code == 404

    status = client.get("/api/v1/regions/110000/settlement").json
    assert status["region_name"] == "北京市"
    by_code = {s["code"]: s for s in status["settlements"]}
    assert by_code["inpatient"]["institutions"] == 5 and by_code["inpatient"]["open"] is True
    assert status["pharmacies"] == 2
    same = client.get("/api/v1/settlement-status?region=110100").json
    assert same == status
    empty = client.get("/api/v1/settlement-status?region=130200").json  # 唐山: nothing loaded
    assert all(not s["open"] for s in empty["settlements"])
    assert client.get("/api/v1/regions/999999/settlement").status_code == 404


def test_search_uses_posting_list_for_rare_keywords(client, app):
    """Smoke test at a few thousand rows: a rare keyword is served from its bigram postings."""
    from server.institutions import search as search_module

    with app.app_context():
        rows = list(generate(4000, seed=5))
        clean, errors = directory.validate_rows(enumerate(rows, start=2), resolve_region)
        from server.institutions.importer import upsert_rows
        upsert_rows(clean)
        _db.session.commit()
        assert search_module._posting_count("妇幼", 10) >= 1
    resp = client.get("/api/v1/institutions?keyword=妇幼")
    assert resp.status_code == 200 and all("妇幼" in i["name"] for i in resp.json["items"])
    assert resp.json["items"]
