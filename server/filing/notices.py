"""The filing notice (备案告知书): one text per insured place and filing type, versioned.

Pure apart from reading the data file once. The version a person accepts is
`<document version>:<filing type>`, so switching the type or the insured place after accepting
means reading the (different) notice again.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from server.filing import rules

NOTICES_FILE = Path(__file__).resolve().parent / "data" / "notices.json"


@dataclass(frozen=True)
class Notice:
    version: str
    title: str
    text: str
    insured_region_code: str
    filing_type: str

    def to_dict(self) -> dict:
        return {"version": self.version, "title": self.title, "text": self.text,
                "insured_region_code": self.insured_region_code, "filing_type": self.filing_type}


@lru_cache(maxsize=1)
def _book() -> dict:
    with open(NOTICES_FILE, encoding="utf-8") as f:
        return json.load(f)


def _document_for(region_code: str, province_code: str | None) -> dict:
    regions = _book().get("regions", {})
    return regions.get(region_code) or (regions.get(province_code) if province_code else None) \
        or _book()["national"]


def notice_for(insured_region_code: str, insured_region_name: str, filing_type: str,
               province_code: str | None = None) -> Notice:
    """The notice for this insured place and type; UnknownCode for an unknown type."""
    ftype = rules.get_filing_type(filing_type)
    doc = _document_for(insured_region_code, province_code)
    proofs = "、".join(d.label for d in ftype.proof_documents) or "不需要证明材料"
    values = {"insured_region_name": insured_region_name, "filing_type_label": ftype.label,
              "group_label": ftype.group_label, "proof_labels": proofs}
    text = "\n".join(p.format(**values) for p in doc["paragraphs"])
    return Notice(version=f"{doc['version']}:{filing_type}", title=doc["title"], text=text,
                  insured_region_code=insured_region_code, filing_type=filing_type)
