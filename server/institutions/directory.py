"""The directory's rules, pure: levels, diseases, name bigrams, and validating rows of an import file.

No Flask and no database: the importer and the search call these, tests call them directly.
"""
from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

KINDS = {"hospital": "医疗机构", "pharmacy": "药店"}
_KIND_ALIASES = {"hospital": "hospital", "医院": "hospital", "医疗机构": "hospital",
                 "pharmacy": "pharmacy", "药店": "pharmacy", "零售药店": "pharmacy"}

LEVELS = ("三级", "二级", "一级", "未定级")
LEVEL_RANK = {level: i + 1 for i, level in enumerate(LEVELS)}
_LEVEL_ALIASES = {"3": "三级", "2": "二级", "1": "一级", "0": "未定级", "": "未定级", "无": "未定级"}

# The ten chronic/special diseases settled across provinces, in domain.md's order: bit i is 1 << i.
CHRONIC_DISEASES = (
    ("hypertension", "高血压"),
    ("diabetes", "糖尿病"),
    ("cancer_outpatient", "恶性肿瘤门诊放化疗"),
    ("uremia_dialysis", "尿毒症透析"),
    ("organ_transplant", "器官移植术后抗排异治疗"),
    ("copd", "慢性阻塞性肺疾病"),
    ("rheumatoid_arthritis", "类风湿关节炎"),
    ("coronary_heart_disease", "冠心病"),
    ("viral_hepatitis", "病毒性肝炎"),
    ("ankylosing_spondylitis", "强直性脊柱炎"),
)
DISEASE_BIT = {code: 1 << i for i, (code, _) in enumerate(CHRONIC_DISEASES)}
DISEASE_LABEL = dict(CHRONIC_DISEASES)
_DISEASE_BY_NAME = {**{code: code for code, _ in CHRONIC_DISEASES},
                    **{label: code for code, label in CHRONIC_DISEASES}}

SETTLEMENTS = {"inpatient": "住院费用直接结算", "general_outpatient": "普通门诊费用直接结算",
               "chronic_outpatient": "门诊慢特病费用直接结算"}

CODE_RE = re.compile(r"^[A-Za-z0-9-]{4,32}$")
FIELDS = ("code", "name", "region_code", "district", "kind", "level", "address", "phone",
          "inpatient", "general_outpatient", "chronic_outpatient", "chronic_diseases", "is_demo")
_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"0", "false", "no", "n", "否", "f", ""}


def diseases_to_bits(codes: Iterable[str]) -> int:
    bits = 0
    for code in codes:
        bits |= DISEASE_BIT[code]
    return bits


def bits_to_diseases(bits: int) -> list[str]:
    return [code for code, _ in CHRONIC_DISEASES if bits & DISEASE_BIT[code]]


def normalize_text(text: str) -> str:
    """Folded form used for both indexing and keywords: no spaces, ASCII lower case, full-width
    brackets as in the names."""
    text = (text or "").strip().lower()
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")


def bigrams(text: str) -> set[str]:
    """Distinct character bigrams of a name or keyword (a one-character keyword has none)."""
    norm = normalize_text(text)
    return {norm[i:i + 2] for i in range(len(norm) - 1)}


def mask_name(name: str | None) -> str:
    """张三明 -> 张*明, 张三 -> 张*, 欧阳娜娜 -> 欧**娜: enough for staff to match a face, no more."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- import rows ---------------------------------------------------------------------------------

@dataclass
class RowError:
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"第{self.line}行" + (f" {self.field}" if self.field else "")
        return f"{where}: {self.message}"


@dataclass
class CleanRow:
    line: int
    values: dict = field(default_factory=dict)


def _flag(raw, line: int, name: str, errors: list[RowError]) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw if raw is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    errors.append(RowError(line, name, f"应为 1/0 或 是/否，收到“{raw}”"))
    return False


def clean_row(raw: dict, line: int, resolve_region) -> tuple[CleanRow | None, list[RowError]]:
    """Check one row; resolve_region(code) -> (region_code, province_code) or None."""
    errors: list[RowError] = []
    unknown = sorted(k for k in raw if k not in FIELDS)
    if unknown:
        errors.append(RowError(line, None, "不认识的列：" + "、".join(unknown)))

    def text(name: str, limit: int, required: bool = False) -> str | None:
        value = raw.get(name)
        value = "" if value is None else str(value).strip()
        if required and not value:
            errors.append(RowError(line, name, "不能为空"))
        if len(value) > limit:
            errors.append(RowError(line, name, f"超过{limit}个字符"))
        return value or None

    code = text("code", 32, required=True)
    if code and not CODE_RE.fullmatch(code):
        errors.append(RowError(line, "code", f"机构编码格式不正确：“{code}”"))
    name = text("name", 200, required=True)
    region_raw = text("region_code", 12, required=True)
    region = resolve_region(region_raw) if region_raw else None
    if region_raw and region is None:
        errors.append(RowError(line, "region_code", f"未知的统筹区编码：“{region_raw}”"))
    kind = _KIND_ALIASES.get(str(raw.get("kind") or "").strip().lower())
    if kind is None:
        errors.append(RowError(line, "kind", f"机构类别应为 hospital 或 pharmacy，收到“{raw.get('kind')}”"))
    level_raw = str(raw.get("level") if raw.get("level") is not None else "").strip()
    level = level_raw if level_raw in LEVEL_RANK else _LEVEL_ALIASES.get(level_raw)
    if level is None:
        errors.append(RowError(line, "level", f"等级应为 三级/二级/一级/未定级，收到“{level_raw}”"))
    flags = {k: _flag(raw.get(k), line, k, errors) for k in ("inpatient", "general_outpatient", "chronic_outpatient")}
    is_demo = _flag(raw.get("is_demo"), line, "is_demo", errors)

    diseases_raw = raw.get("chronic_diseases") or []
    if isinstance(diseases_raw, str):
        diseases_raw = [d for d in re.split(r"[|,，、;；]", diseases_raw) if d.strip()]
    diseases = []
    for item in diseases_raw:
        code_ = _DISEASE_BY_NAME.get(str(item).strip())
        if code_ is None:
            errors.append(RowError(line, "chronic_diseases", f"不认识的门诊慢特病：“{item}”"))
        else:
            diseases.append(code_)
    if diseases and not flags["chronic_outpatient"]:
        errors.append(RowError(line, "chronic_diseases", "列出了门诊慢特病，但未开通门诊慢特病直接结算"))
    if flags["chronic_outpatient"] and not diseases:
        errors.append(RowError(line, "chronic_diseases", "开通了门诊慢特病直接结算，请列出病种"))
    district = text("district", 64)
    address = text("address", 300)
    phone = text("phone", 40)
    if errors:
        return None, errors
    region_code, province_code = region
    return CleanRow(line, {
        "code": code, "name": name, "region_code": region_code, "province_code": province_code,
        "district": district, "kind": kind, "level": level, "level_rank": LEVEL_RANK[level],
        "address": address, "phone": phone, **flags,
        "chronic_diseases": diseases_to_bits(diseases), "is_demo": is_demo,
    }), []


def read_rows(data: bytes | str, fmt: str) -> Iterator[tuple[int, dict]]:
    """(line number, raw row) from a CSV (header line 1) or JSON file (a list, or {"institutions": [...]});
    JSON rows are numbered by their position, starting at 1."""
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    if fmt == "csv":
        # Lines starting with '#' carry notes such as the demo-data marker.
        lines = io.StringIO(data).readlines()
        skipped = 0
        while skipped < len(lines) and lines[skipped].startswith("#"):
            skipped += 1
        reader = csv.DictReader(lines[skipped:])
        for i, row in enumerate(reader):
            yield i + 2 + skipped, {k: v for k, v in row.items() if k is not None}
        return
    doc = json.loads(data)
    rows = doc.get("institutions", []) if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        raise ValueError("JSON 文件应为数组，或含 institutions 数组的对象")
    for i, row in enumerate(rows, start=1):
        yield i, row if isinstance(row, dict) else {"_": row}


def validate_rows(rows: Iterable[tuple[int, dict]], resolve_region) -> tuple[list[CleanRow], list[RowError]]:
    """Every row checked; duplicate codes within the file reported with both lines."""
    clean: list[CleanRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, raw in rows:
        row, problems = clean_row(raw, line, resolve_region)
        errors.extend(problems)
        code = str(raw.get("code") or "").strip()
        if code:
            if code in seen:
                errors.append(RowError(line, "code", f"机构编码“{code}”与第{seen[code]}行重复"))
                continue
            seen[code] = line
        if row is not None:
            clean.append(row)
    return clean, errors
