from __future__ import annotations


def test_cascade_has_31_provinces_with_pooling_regions(client):
    body = client.get("/api/v1/regions").json
    provinces = body["provinces"]
    assert len(provinces) == 31
    by_code = {p["code"]: p for p in provinces}
    assert [r["code"] for r in by_code["110000"]["regions"]] == ["110000"]
    zhejiang = {r["code"]: r["name"] for r in by_code["330000"]["regions"]}
    assert zhejiang["330700"] == "金华市"
    assert "339900" not in zhejiang  # 省本级 is an insured place only
    insured = client.get("/api/v1/regions?purpose=insured").json["provinces"]
    assert "339900" in {r["code"] for p in insured if p["code"] == "330000" for r in p["regions"]}
    total = sum(len(p["regions"]) for p in provinces)
    assert total >= 337


def test_search_by_alias_and_county(client):
    assert client.get("/api/v1/regions?q=义乌").json["items"][0]["name"] == "金华市"
    assert client.get("/api/v1/regions?q=浦东").json["items"][0]["code"] == "310000"
    assert client.get("/api/v1/regions?q=大理").json["items"][0]["code"] == "532900"


def test_region_detail_and_alias_code(client):
    body = client.get("/api/v1/regions/330700").json
    assert body["name"] == "金华市" and body["short_name"] == "金华"
    assert body["province_code"] == "330000" and body["level"] == "prefecture"
    assert "义乌市" in body["counties"]
    assert body["policy"]["review_working_days"] == 2
    assert client.get("/api/v1/regions/310100").json["code"] == "310000"


def test_unknown_region_is_404_envelope(client):
    resp = client.get("/api/v1/regions/999999")
    assert resp.status_code == 404
    assert resp.json["error"]["code"] == "region.not_found"
    bad_query = client.get("/api/v1/regions?purpose=nope")
    assert bad_query.status_code == 422
    assert bad_query.json["error"]["details"][0]["field"] == "purpose"


def test_cascade_is_cacheable(client):
    first = client.get("/api/v1/regions")
    assert first.headers["ETag"] and "max-age" in first.headers["Cache-Control"]
    again = client.get("/api/v1/regions", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    insured = client.get("/api/v1/regions?purpose=insured")
    assert insured.headers["ETag"] != first.headers["ETag"]
