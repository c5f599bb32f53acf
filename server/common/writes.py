"""Whether the request's session wrote anything: a read-only request ends without a commit.

Reads are most requests (records, search, regions, the QR); committing them cost a flush check,
an expiry of every object read and a commit on the connection, all for nothing. The session
notes each write as it happens (an ORM flush, or an INSERT/UPDATE/DELETE or textual statement
run through it); a request that wrote commits once at its end as before, one that did not is
rolled back by the session's removal at teardown, which has the same effect on a read.
"""
from __future__ import annotations

from sqlalchemy import event

_KEY = "request_wrote"


def install(scoped_session) -> None:
    @event.listens_for(scoped_session, "after_flush")
    def _flushed(session, _context):
        session.info[_KEY] = True

    @event.listens_for(scoped_session, "do_orm_execute")
    def _executed(state):
        if not state.is_select:
            state.session.info[_KEY] = True

    @event.listens_for(scoped_session, "after_commit")
    def _committed(session):
        session.info.pop(_KEY, None)

    @event.listens_for(scoped_session, "after_rollback")
    def _rolled_back(session):
        session.info.pop(_KEY, None)


def has_writes(session) -> bool:
    """Anything written since the last commit, or waiting to be flushed."""
    return bool(session.info.get(_KEY) or session.new or session.dirty or session.deleted)
