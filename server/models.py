"""Imports every model module, so metadata (and Alembic) sees the whole schema."""
import importlib

from server.accounts import models as _accounts  # noqa: F401
from server.filing import models as _filing  # noqa: F401
from server.institutions import models as _institutions  # noqa: F401

for _name in ("server.chat.models", "server.review.models"):
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as _exc:
        if not _name.startswith(_exc.name or '?'):
            raise
