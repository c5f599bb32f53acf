"""Text normalisation before anything is read: one message, in the form the rules expect."""
from __future__ import annotations

import re

MAX_CHARS = 500


def normalise(text: str | None) -> str:
    """Join digits split by spaces or dashes (138 0000 1111), keep the first MAX_CHARS."""
    return re.sub(r"(?<=\d)[\s-](?=\d)", "", (text or "").strip())[:MAX_CHARS]
