"""After-sales cases (cancellation, return, refund and replacement requests) as the channel sends them,
their history, and what the team decided about each.

A case is stored like an order: keyed on (shop, kind, platform id), an incoming payload older than the
stored one is ignored, and each status change is a CaseEvent. What the team typed (the decision, the
reject reason, a note) lives in `case_inputs`, which no sync writes.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.models.base import Base, Payload, utcnow
from backend.models.order import PERSONAL, StatusEvent


class AfterSaleCase(Base):
    __tablename__ = "after_sale_cases"
    __table_args__ = (
        UniqueConstraint("shop_id", "kind", "external_id"),
        Index("ix_after_sale_cases_shop_status", "shop_id", "status"),
        Index("ix_after_sale_cases_order", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    # The order may arrive after its case (webhooks race); the external id links them once it does.
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    order_external_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # cancellation | return: the platform's two id spaces
    external_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(24))  # domain.status.CaseType
    status: Mapped[str] = mapped_column(String(32))  # domain.status.CaseStatus
    platform_status: Mapped[str] = mapped_column(String(48))
    initiator: Mapped[str] = mapped_column(String(16), default="BUYER")
    reason: Mapped[str] = mapped_column(String(255), default="")
    buyer_words: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    platform_create_time: Mapped[datetime]
    platform_update_time: Mapped[datetime]
    step: Mapped[str | None] = mapped_column(String(24))  # domain.status.SellerStep owed, if any
    deadline_at: Mapped[datetime | None]  # the platform decides for the seller at this instant
    currency: Mapped[str] = mapped_column(String(3), default="")
    refund_total: Mapped[Decimal | None]
    # [{line_id, sku_id, seller_sku, product_name, sku_name, refund}] as the platform listed them.
    items: Mapped[list[Any]] = mapped_column(default=list)
    return_tracking: Mapped[str | None] = mapped_column(String(128))
    raw: Mapped[dict[str, Any]] = mapped_column(Payload, info=PERSONAL)
    # The platform's reasons for refusing it, fetched when it waits for a decision: [{code, text}].
    reject_reasons: Mapped[list[Any]] = mapped_column(default=list)
    reasons_step: Mapped[str | None] = mapped_column(String(24))  # the step the reasons were fetched for
    ingested_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseEvent.occurred_at"
    )
    typed: Mapped[CaseInput | None] = relationship(cascade="all, delete-orphan")


class CaseEvent(StatusEvent, Base):
    """A status change of a case, a decision sent, or a finance approval: when, and who."""

    __tablename__ = "after_sale_events"
    __table_args__ = (Index("ix_after_sale_events_case", "case_id"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("after_sale_cases.id", ondelete="CASCADE"))

    case: Mapped[AfterSaleCase] = relationship(back_populates="events")


class CaseInput(Base):
    """The team's decision on a case and its note. Only sheet edits and the sidebar write this row.

    `state` follows the decision: awaiting_finance (a refund above the team's limit), sending (claimed,
    `idempotency_key` fixed before the platform is called), sent, refused (the platform said no:
    `outcome` holds why) or declined (finance said no; nothing was sent). A decision is sent once per
    key: the same value typed again is answered from here, never sent again.
    """

    __tablename__ = "case_inputs"

    case_id: Mapped[int] = mapped_column(ForeignKey("after_sale_cases.id", ondelete="CASCADE"), primary_key=True)
    decision: Mapped[str | None] = mapped_column(String(16))
    reject_reason: Mapped[str | None] = mapped_column(String(255))  # the platform's reason code
    note: Mapped[str | None] = mapped_column(Text, info=PERSONAL)
    state: Mapped[str | None] = mapped_column(String(24))
    step: Mapped[str | None] = mapped_column(String(24))  # the decision the case waited for when decided
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(1024))
    decided_by: Mapped[str | None] = mapped_column(String(320))
    decided_at: Mapped[datetime | None]
    approved_by: Mapped[str | None] = mapped_column(String(320))  # finance, for a refund above the limit
    updated_by: Mapped[str] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
