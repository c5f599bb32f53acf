#!/usr/bin/env python
"""Write miniapp_schema/*.json from the API's request schemas (run after changing a schema)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server.filing.miniapp import build_pages  # noqa: E402

OUT = ROOT / "miniapp_schema"


def render(page: dict) -> str:
    return json.dumps(page, ensure_ascii=False, indent=2) + "\n"


def main() -> None:
    OUT.mkdir(exist_ok=True)
    pages = build_pages()
    wanted = {f"{p['page_id']}.json" for p in pages}
    for stale in OUT.glob("*.json"):
        if stale.name not in wanted:
            stale.unlink()
    for page in pages:
        (OUT / f"{page['page_id']}.json").write_text(render(page), encoding="utf-8")
    print(f"wrote {len(pages)} pages to {OUT.name}/")


if __name__ == "__main__":
    main()
