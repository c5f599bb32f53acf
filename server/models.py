"""Imports every model module, so metadata (and Alembic) sees the whole schema."""
from server.accounts import models as _accounts  # noqa: F401
from server.chat import models as _chat  # noqa: F401
from server.filing import models as _filing  # noqa: F401
from server.institutions import models as _institutions  # noqa: F401
from server.notifications import models as _notifications  # noqa: F401
from server.common import datakeys as _datakeys  # noqa: F401
from server.review import models as _review  # noqa: F401
