from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.common.models import EncryptedText, TimestampMixin, UTCDateTime
from server.extensions import db


class Filing(TimestampMixin, db.Model):
    __tablename__ = "filings"
    __table_args__ = (
        Index("ix_filings_person_status", "person_id_hash", "status"),
        Index("ix_filings_owner_created", "owner_id", "created_at"),
        Index("ix_filings_review_queue", "status", "review_due_at"),
        UniqueConstraint("owner_id", "idempotency_key", name="uq_filings_owner_idem"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(24), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    family_member_id: Mapped[int | None] = mapped_column(ForeignKey("family_members.id"), index=True)
    # Who the filing is for, copied at submission so the record stays what was filed.
    person_name: Mapped[str | None] = mapped_column(String(64))
    person_id_enc: Mapped[str | None] = mapped_column(Text)
    person_id_hash: Mapped[str | None] = mapped_column(String(64))
    person_id_masked: Mapped[str | None] = mapped_column(String(32))

    insured_region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    visit_region_code: Mapped[str | None] = mapped_column(String(6))
    scheme: Mapped[str | None] = mapped_column(String(16))
    filing_type: Mapped[str | None] = mapped_column(String(32))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    contact_name: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(EncryptedText())  # plain in Python, encrypted at rest
    address: Mapped[str | None] = mapped_column(String(200))

    notice_version: Mapped[str | None] = mapped_column(String(32))
    notice_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    proof_mode: Mapped[str | None] = mapped_column(String(16))  # uploaded | commitment | none

    status: Mapped[str] = mapped_column(String(20), default="draft")
    source: Mapped[str] = mapped_column(String(16), default="wizard")  # wizard | chat | counter
    origin_institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(64))

    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_on: Mapped[date | None] = mapped_column(Date)
    reject_reason: Mapped[str | None] = mapped_column(Text)
    proof_due_date: Mapped[date | None] = mapped_column(Date)
    proof_supplied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Indexed: a record's detail looks up the filing it replaced (WHERE superseded_by_id = id).
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("filings.id"), index=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    events: Mapped[list["FilingEvent"]] = relationship(
        back_populates="filing", order_by="FilingEvent.id", lazy="select")
    documents: Mapped[list["FilingDocument"]] = relationship(
        back_populates="filing", order_by="FilingDocument.id", lazy="select")


class FilingEvent(db.Model):
    """Every status change and every notable action: the timeline is built from these."""

    __tablename__ = "filing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filings.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_kind: Mapped[str] = mapped_column(String(16))  # user | staff | system
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)

    filing: Mapped[Filing] = relationship(back_populates="events")


class FilingDocument(TimestampMixin, db.Model):
    """A stored file of a filing: a proof upload, the signature, or the signed commitment letter."""

    __tablename__ = "filing_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # proof | signature | letter
    doc_code: Mapped[str | None] = mapped_column(String(32))
    storage_key: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    filing: Mapped[Filing] = relationship(back_populates="documents")


class StaffAccess(db.Model):
    """Each time staff open a filing's full details or verify it at a counter."""

    __tablename__ = "staff_access"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filings.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # view | verify
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    detail: Mapped[str | None] = mapped_column(Text)
