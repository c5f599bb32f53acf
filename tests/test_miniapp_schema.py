"""The mini-program page files are generated from the API schemas and must not drift."""
from __future__ import annotations

import json
from pathlib import Path

from server.filing.miniapp import build_pages

ROOT = Path(__file__).resolve().parent.parent
PAGE_DIR = ROOT / "miniapp_schema"


def test_committed_pages_match_the_schemas():
    pages = build_pages()
    on_disk = {p.name for p in PAGE_DIR.glob("*.json")}
    assert on_disk == {f"{p['page_id']}.json" for p in pages}, "run scripts/build_miniapp_schema.py"
    for page in pages:
        stored = json.loads((PAGE_DIR / f"{page['page_id']}.json").read_text(encoding="utf-8"))
        assert stored == json.loads(json.dumps(page)), (
            f"miniapp_schema/{page['page_id']}.json is out of date: run scripts/build_miniapp_schema.py")


def test_pages_describe_the_forms():
    pages = {p["page_id"]: p for p in build_pages()}
    assert [p["step"] for p in build_pages() if p["page_id"] in ("choices", "notice", "details", "commitment")] == [1, 2, 3, 4]
    choices = {f["name"]: f for f in pages["choices"]["fields"]}
    assert set(choices) == {"insured_region_code", "visit_region_code", "scheme", "filing_type"}
    assert choices["filing_type"]["options_endpoint"].startswith("/api/v1/options")
    assert len(choices["filing_type"]["validation"]["one_of"]) == 6
    details = {f["name"]: f for f in pages["details"]["fields"]}
    assert details["address"]["required"] == "group == long_term"
    assert details["contact_phone"]["validation"]["pattern"]
    assert all(f["label"] for p in pages.values() for f in p["fields"])


def test_served_over_http(client):
    body = client.get("/api/v1/miniapp/pages").json
    assert {p["page_id"] for p in body["pages"]} >= {"start", "choices", "notice", "details", "commitment", "result"}
    page = client.get("/api/v1/miniapp/pages/details").json
    assert page["title"] == "填写备案信息" and page["uploads"]["file_field"] == "file"
    assert client.get("/api/v1/miniapp/pages/nope").status_code == 404


def test_every_page_field_is_accepted_by_its_endpoint(client):
    """The forms' field names are the names the endpoints read (a renamed field fails here)."""
    from server.filing import schemas

    for page_id, schema in [("choices", schemas.DraftPatchSchema), ("details", schemas.DraftPatchSchema),
                            ("start", schemas.DraftCreateSchema), ("notice", schemas.NoticeAcceptSchema),
                            ("family_member", schemas.FamilyMemberCreateSchema)]:
        names = {f["name"] for f in next(p for p in build_pages() if p["page_id"] == page_id)["fields"]}
        assert names <= set(schema().fields), page_id
