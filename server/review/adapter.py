"""Where a submitted filing goes for review.

This service's own review (`LocalReview`) is the first implementation; an insured place's agency
platform can be plugged in later as another class with the same methods, chosen by the
`REVIEW_ADAPTER` setting. The filing flow only ever calls `get_review_adapter().on_submitted(...)`.
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from flask import current_app, has_app_context

from server.filing.events import Actor
from server.filing.models import Filing
from server.review import service


@runtime_checkable
class ReviewAdapter(Protocol):
    name: str

    def on_submitted(self, filing: Filing, actor: Actor) -> Filing:
        """Take a just-submitted filing: approve at once or put it in review (status, events)."""

    def approve(self, filing: Filing, actor: Actor, note: str | None = None) -> Filing: ...

    def reject(self, filing: Filing, actor: Actor, reason: str) -> Filing: ...

    def return_for_material(self, filing: Filing, actor: Actor, reason: str) -> Filing: ...


class LocalReview:
    """Review by this service's reviewers (staff accounts with role `reviewer`)."""

    name = "local"

    def on_submitted(self, filing: Filing, actor: Actor) -> Filing:
        return service.on_submitted(filing, actor)

    def approve(self, filing: Filing, actor: Actor, note: str | None = None) -> Filing:
        return service.approve(filing, actor, note)

    def reject(self, filing: Filing, actor: Actor, reason: str) -> Filing:
        return service.reject(filing, actor, reason)

    def return_for_material(self, filing: Filing, actor: Actor, reason: str) -> Filing:
        return service.return_for_material(filing, actor, reason)


ADAPTERS: dict[str, type] = {"local": LocalReview}


def get_review_adapter(name: str | None = None) -> ReviewAdapter:
    if name is None:
        name = current_app.config.get("REVIEW_ADAPTER", "local") if has_app_context() else "local"
    try:
        return ADAPTERS[name or "local"]()
    except KeyError:
        raise RuntimeError(f"unknown REVIEW_ADAPTER {name!r}; known: {sorted(ADAPTERS)}") from None


# Module-level conveniences for callers that do not need to choose.
def on_submitted(filing: Filing, actor: Actor) -> Filing:
    return get_review_adapter().on_submitted(filing, actor)


def approve(filing: Filing, actor: Actor, note: str | None = None) -> Filing:
    return get_review_adapter().approve(filing, actor, note)


def reject(filing: Filing, actor: Actor, reason: str) -> Filing:
    return get_review_adapter().reject(filing, actor, reason)


def return_for_material(filing: Filing, actor: Actor, reason: str) -> Filing:
    return get_review_adapter().return_for_material(filing, actor, reason)
