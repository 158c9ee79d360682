"""After-sales cases as the sheets see them, and the rules for deciding one. Pure: no I/O.

A decision typed into the after_sales tab is sent to the platform only when every rule here agrees:
the role may decide, the case waits for a decision now, its deadline has not passed, the channel's
API takes that decision, a rejection names one of the platform's own reasons, and a refund above the
team's limit has finance's approval. Otherwise the cell says why and nothing is sent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from backend.domain import alerts
from backend.domain.alerts import Tier
from backend.domain.status import CaseStatus, CaseType, Decision, SellerStep

REAUTHORIZE = "reauthorization needed for after-sales"
TYPE_LABELS = {
    CaseType.CANCEL: "Cancellation",
    CaseType.REFUND: "Refund only",
    CaseType.RETURN_AND_REFUND: "Return and refund",
    CaseType.REPLACEMENT: "Replacement",
}
STEP_LABELS = {
    SellerStep.RESPOND: "approve or reject the request",
    SellerStep.RECEIVE_PACKAGE: "accept or reject the returned parcel",
}
DECISION_WORDS = {"approve": Decision.APPROVE, "accept": Decision.APPROVE, "reject": Decision.REJECT}
# The decision of each step that pays the buyer back: where a large refund waits for finance.
REFUNDING_STEPS = frozenset(
    {
        (CaseType.CANCEL, SellerStep.RESPOND),
        (CaseType.REFUND, SellerStep.RESPOND),
        (CaseType.RETURN_AND_REFUND, SellerStep.RECEIVE_PACKAGE),
    }
)


class State:
    """CaseInput.state values: where the team's decision stands."""

    AWAITING_FINANCE = "awaiting_finance"
    SENDING = "sending"
    SENT = "sent"
    REFUSED = "refused"
    DECLINED = "declined"  # finance said no: nothing was sent


IN_FLIGHT = frozenset({State.SENDING, State.SENT, State.AWAITING_FINANCE})


@dataclass(frozen=True)
class CaseLine:
    """The units of one SKU a case covers."""

    seller_sku: str
    product_name: str
    quantity: int
    refund: Decimal | None


@dataclass(frozen=True)
class Reason:
    code: str
    text: str


@dataclass(frozen=True)
class CaseView:
    """One case with its shop, order and the team's decision, as every after-sales column reads it."""

    case_id: int
    external_id: str
    kind: str
    type: CaseType
    status: CaseStatus
    platform: str  # as a person reads it: "TikTok Shop"
    shop_id: int
    shop_name: str
    shop_time_zone: str
    order_external_id: str
    created_at: datetime
    updated_at: datetime
    reason: str = ""
    buyer_words: str = ""
    lines: tuple[CaseLine, ...] = ()
    currency: str = ""
    refund: Decimal | None = None
    step: SellerStep | None = None
    deadline: datetime | None = None
    return_tracking: str = ""
    reasons: tuple[Reason, ...] = ()
    allowed: tuple[str, ...] = ("approve", "reject")  # decisions the channel's API takes at this step
    read_only: str = ""  # why it takes no others, as the sheet says it
    decision: str = ""  # what the team typed: approve | reject
    decided_step: str = ""
    reject_reason: str = ""  # the platform's reason code
    note: str = ""
    state: str = ""
    outcome: str = ""
    decided_by: str = ""
    approved_by: str = ""
    order_id: int | None = None
    status_note: str = ""  # the Outcome column: outcome_text() at the time the view was made

    @property
    def items(self) -> str:
        return ", ".join(f"{line.seller_sku or line.product_name} x{line.quantity}" for line in self.lines)

    @property
    def reason_text(self) -> str:
        """The typed reject reason as the dropdown shows it (its code when the platform's list lost it)."""
        if self.state and not self.current:
            return ""  # it went out with an earlier decision
        return next((r.text for r in self.reasons if r.code == self.reject_reason), self.reject_reason)

    @property
    def shown_status(self) -> str:
        """A request the seller rejected reads REJECTED even where the platform only says it closed."""
        refused_by_us = self.state == State.SENT and self.decision == Decision.REJECT.value
        if self.status is CaseStatus.CANCELLED and refused_by_us:
            return CaseStatus.REJECTED.value
        return self.status.value

    @property
    def decided_now(self) -> bool:
        """The team's decision was for the step the case waits at now (so it is not a new question)."""
        return bool(self.step) and self.decided_step == (self.step.value if self.step else "")

    @property
    def current(self) -> bool:
        """The stored decision is about the case as it stands: it waits for nothing, or for that decision.
        Once a return moves on to its parcel, the first decision no longer fills the Decision cell."""
        return self.step is None or self.decided_now

    @property
    def shown_decision(self) -> str:
        return self.decision if self.current else ""


REFUND_KIND = "after_sales_refund"  # the estimated ledger line of a refund granted before any statement


def refunded(case_type: CaseType, status: CaseStatus, platform_status: str) -> bool:
    """The buyer gets money back: a refund or return granted (a replacement only when it turned into one).
    A cancellation is not counted here: the order's own cancelled status already takes its revenue away."""
    granted = status in (CaseStatus.APPROVED, CaseStatus.COMPLETED)
    if case_type is CaseType.REPLACEMENT:
        return granted and "REFUND" in platform_status
    return granted and case_type in (CaseType.REFUND, CaseType.RETURN_AND_REFUND)


def missing_scope(scope: str, platform: str, granted: Sequence[str]) -> str | None:
    """At connect time, the after-sales problem a grant already shows (None when it is fine, or when the
    platform did not say which permissions it granted: the first after-sales call will tell)."""
    if not scope or not granted or scope in granted:
        return None
    return f"{REAUTHORIZE}: the {platform} authorization does not include {scope}; connect the shop again"


def case_lines(items: Iterable[Mapping[str, object]]) -> tuple[CaseLine, ...]:
    """The platform's per-unit lines grouped per SKU, refunds summed."""
    grouped: dict[str, list[Mapping[str, object]]] = {}
    names: dict[str, str] = {}
    for item in items:
        key = str(item.get("seller_sku") or item.get("sku_id") or "")
        grouped.setdefault(key, []).append(item)
        names.setdefault(key, str(item.get("product_name") or ""))
    lines = []
    for key, units in grouped.items():
        refunds = [_decimal(u.get("refund")) for u in units]
        known = [r for r in refunds if r is not None]
        total = sum(known, Decimal(0)) if len(known) == len(refunds) else None
        lines.append(CaseLine(key, names[key], len(units), total))
    return tuple(lines)


def _decimal(value: object) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _sent(case: CaseView) -> str:
    verb = "approved" if case.decision == Decision.APPROVE.value else "rejected"
    finance = f" (refund approved by {case.approved_by})" if case.approved_by else ""
    return f"{verb} on {case.platform} by {case.decided_by}{finance}"


# The team's decision state → what the Outcome column says about it.
OUTCOMES: dict[str, Callable[[CaseView], str]] = {
    State.SENT: _sent,
    State.REFUSED: lambda case: f"{case.platform} refused: {case.outcome}",
    State.AWAITING_FINANCE: lambda case: f"awaiting finance: {case.outcome}",
    State.DECLINED: lambda case: f"finance declined the refund: {case.outcome}",
    State.SENDING: lambda case: f"being sent to {case.platform}",
}


def outcome_text(case: CaseView, now: datetime) -> str:
    """What the Outcome column says: the decision's fate, or why the team cannot decide here."""
    if case.state in OUTCOMES and case.current:
        return OUTCOMES[case.state](case)
    if case.step is None:
        return ""
    if not case.allowed:
        return f"read-only: {case.read_only}"
    if len(case.allowed) < len(Decision):
        return f"only {' or '.join(case.allowed)} from here: {case.read_only}"
    if case.deadline is not None and now >= case.deadline:
        return f"deadline passed: {case.platform} decides"
    return ""


def next_step_label(case: CaseView) -> str:
    return STEP_LABELS[case.step] if case.step is not None else ""


# -- deciding ------------------------------------------------------------------------------------------


def parse_decision(typed: str) -> Decision | None:
    """The decision a person typed or picked; None for anything else."""
    return DECISION_WORDS.get(typed.strip().casefold())


def reason_code(case: CaseView, typed: str) -> str | None:
    """The platform's code for the reason typed (its text, as the dropdown shows it, or its code)."""
    wanted = typed.strip()
    return next((r.code for r in case.reasons if wanted in (r.text, r.code)), None)


def already_made(case: CaseView, decision: Decision) -> bool:
    """The same decision for the same step was made before (sent, on its way, with finance, refused or
    declined): it is answered from what was stored and never sent again. Clearing the cell asks anew."""
    return case.current and case.decision == decision.value and bool(case.state)


def why_not(case: CaseView, decision: Decision, *, now: datetime) -> str | None:
    """Why this decision may not be sent for this case now, or None (the role is checked by the caller)."""
    if case.decided_now and case.state in IN_FLIGHT and case.decision != decision.value:
        return f"already decided: {case.decision} ({outcome_text(case, now)})"
    if case.step is None:
        return f"nothing to decide: the case is {case.shown_status}"
    if case.deadline is not None and now >= case.deadline:
        return f"too late: the deadline passed, {case.platform} decides this case itself"
    if decision.value not in case.allowed:
        return f"{case.platform} cannot {decision.value} this from here: {case.read_only}"
    return None


def refund_limit(limits: Mapping[str, object], currency: str) -> Decimal | None:
    """The team's limit for refunds in `currency` (None: no limit set for it)."""
    return _decimal(limits.get(currency))


def needs_finance(case: CaseView, decision: Decision, limits: Mapping[str, object]) -> Decimal | None:
    """The limit an approval passes (so finance must approve it first), or None."""
    if decision is not Decision.APPROVE or case.step is None or (case.type, case.step) not in REFUNDING_STEPS:
        return None
    limit = refund_limit(limits, case.currency)
    if limit is None or case.refund is None or case.refund <= limit:
        return None
    return limit


def idempotency_key(case_id: int, step: SellerStep, decision: Decision, nonce: str) -> str:
    """The key a decision is sent with: fixed when the decision is claimed, so every resend of it is the
    same request to the platform; a new claim (after a refusal was cleared) gets a new nonce."""
    return f"orderdeck-{case_id}-{step.value.lower()}-{decision.value}-{nonce}"


# -- alerts ---------------------------------------------------------------------------------------------


def deadline_message(case: CaseView, tier: Tier, link: str | None) -> dict[str, object]:
    """A case nearing its decision deadline, for Discord: no buyer data and no money (the channel's
    audience is unknown), a link to its row in the after_sales tab."""
    hours = int(tier.before.total_seconds() // 3600)
    assert case.deadline is not None
    what = TYPE_LABELS[case.type].lower()
    return alerts.message(
        alerts.embed(
            f"{tier.name}: {what} {case.external_id} must be decided within {hours} h",
            f"{next_step_label(case).capitalize()} by {alerts.discord_time(case.deadline)} "
            f"({alerts.discord_time(case.deadline, 'R')}), or {case.platform} decides it.",
            color=tier.color,
            url=link,
            fields=[("Shop", case.shop_name), ("Order", case.order_external_id), ("Status", case.shown_status)],
            footer="OrderDeck after-sales",
            timestamp=case.deadline,
        )
    )


# -- learning from after-sales: rates per month, by SKU and by reason ---------------------------------


@dataclass(frozen=True)
class SoldOrder:
    """An order of the period: its month (shop's zone) and the SKUs in it."""

    month: str
    skus: frozenset[str]


@dataclass(frozen=True)
class CaseFact:
    """A case, counted in its order's month: cancellation or return, its reason and SKUs."""

    month: str
    cancellation: bool
    reason: str
    skus: frozenset[str]


@dataclass(frozen=True)
class RateRow:
    key: str
    month: str
    dimension: str  # all | SKU | reason
    value: str
    orders: int | None
    cancellations: int
    returns: int
    cancel_rate: Decimal | None
    return_rate: Decimal | None


RATE_PLACES = Decimal("0.0001")
DETAIL_PREFIX = "by "  # detail rows' keys start so; the chart leaves them out


def _rate(count: int, base: int | None) -> Decimal | None:
    return (Decimal(count) / Decimal(base)).quantize(RATE_PLACES) if base else None


def rate_rows(orders: Sequence[SoldOrder], cases: Sequence[CaseFact]) -> list[RateRow]:
    """Cancellation and return rates per month (orders with a case / orders that month), then the same per
    SKU (of orders holding the SKU) and per reason (of all the month's orders). The month rows come first,
    oldest first, so a chart can read them; the detail rows follow."""
    months = sorted({o.month for o in orders} | {c.month for c in cases})
    per_month = Counter(o.month for o in orders)
    per_sku = Counter((o.month, sku) for o in orders for sku in o.skus)
    rows: list[RateRow] = []
    details: list[RateRow] = []
    for month in months:
        mine = [c for c in cases if c.month == month]
        cancels, returns = sum(c.cancellation for c in mine), sum(not c.cancellation for c in mine)
        base = per_month[month]
        rows.append(
            RateRow(month, month, "all", "", base, cancels, returns, _rate(cancels, base), _rate(returns, base))
        )
        for sku in sorted({s for c in mine for s in c.skus}):
            sold = per_sku[(month, sku)]
            c_n = sum(c.cancellation for c in mine if sku in c.skus)
            r_n = sum(not c.cancellation for c in mine if sku in c.skus)
            details.append(
                RateRow(
                    f"{DETAIL_PREFIX}SKU {month} {sku}",
                    month,
                    "SKU",
                    sku,
                    sold,
                    c_n,
                    r_n,
                    _rate(c_n, sold),
                    _rate(r_n, sold),
                )
            )
        for reason in sorted({c.reason or "(none given)" for c in mine}):
            c_n = sum(c.cancellation for c in mine if (c.reason or "(none given)") == reason)
            r_n = sum(not c.cancellation for c in mine if (c.reason or "(none given)") == reason)
            details.append(
                RateRow(f"{DETAIL_PREFIX}reason {month} {reason}", month, "reason", reason, None, c_n, r_n,
                        _rate(c_n, base), _rate(r_n, base))
            )  # fmt: skip
    return rows + details


@dataclass(frozen=True)
class FinanceAsk:
    """A refund support approved that waits for finance: what finance sees (no buyer data)."""

    case_id: int
    external_id: str
    order_external_id: str
    shop_name: str
    type: CaseType
    currency: str
    refund: Decimal | None
    limit: Decimal | None
    asked_by: str
    deadline: datetime | None = None
    items: str = ""
