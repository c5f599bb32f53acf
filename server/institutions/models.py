from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.common.models import TimestampMixin, UTCDateTime
from server.extensions import db


class Institution(db.Model):
    """A networked designated medical institution or pharmacy (定点医药机构)."""

    __tablename__ = "institutions"
    __table_args__ = (
        Index("ix_institutions_region_rank", "region_code", "level_rank", "name"),
        Index("ix_institutions_province_rank", "province_code", "level_rank", "name"),
        # Keyword searches without a place filter walk the whole directory in display order.
        Index("ix_institutions_rank", "level_rank", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(6))
    province_code: Mapped[str] = mapped_column(String(6))
    district: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # hospital | pharmacy
    level: Mapped[str] = mapped_column(String(8))  # 三级 | 二级 | 一级 | 未定级
    level_rank: Mapped[int] = mapped_column(default=9)
    address: Mapped[str | None] = mapped_column(String(300))
    phone: Mapped[str | None] = mapped_column(String(40))
    inpatient: Mapped[bool] = mapped_column(Boolean, default=False)
    general_outpatient: Mapped[bool] = mapped_column(Boolean, default=False)
    chronic_outpatient: Mapped[bool] = mapped_column(Boolean, default=False)
    # Bit set over the ten chronic/special diseases of domain.md, in their listed order.
    chronic_diseases: Mapped[int] = mapped_column(default=0)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class CounterCode(TimestampMixin, db.Model):
    """A QR code placed at a hospital counter or ward."""

    __tablename__ = "counter_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    counter_name: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The mini-program code WeChat made for this counter, stored by content hash under
    # wxacode/ in the file storage, so it is fetched from WeChat once.
    wxacode_sha256: Mapped[str | None] = mapped_column(String(64))


class InstitutionToken(db.Model):
    """Inverted index of name character bigrams (协和, 华西 ...): a trigram index cannot serve
    two-character keywords, so every distinct bigram of a name gets a posting row."""

    __tablename__ = "institution_tokens"
    __table_args__ = {"sqlite_with_rowid": False}

    token: Mapped[str] = mapped_column(String(8), primary_key=True)
    institution_id: Mapped[int] = mapped_column(primary_key=True)
