"""A decision on an after-sales case, from the after_sales tab (like a tracking number) or from finance, sent
to the platform once.

Three steps, so the platform is called with no transaction open: `decide` (or `finance_answer`) checks the
decision against the rules in domain/after_sales.py and claims the case by storing the decision with its
idempotency key; `send` calls the platform (and re-reads the case and its order); `record` stores what
the platform said. A refusal is stored and shown, never retried on its own; the same decision typed
again is answered from what was stored, or resent with the same key while its fate is unknown.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from backend.catalog import role_policy
from backend.db import Database
from backend.domain import after_sales as rules
from backend.domain.after_sales import State
from backend.domain.phrases import Phrase
from backend.domain.status import CaseType, Decision, SellerStep
from backend.errors import Action, Forbidden, OrderDeckError, PlatformError
from backend.models import AfterSaleCase, CaseEvent, CaseInput, Shop, Team, utcnow
from backend.platforms import registry
from backend.platforms.base import CaseRef, PlatformCase, PlatformOrder, ShopClient
from backend.services.after_sales.store import ingest_cases
from backend.services.after_sales.views import view_of
from backend.services.bindings import APPROVE_LARGE_REFUND
from backend.services.ingest import ingest_orders, mark_bindings_dirty
from backend.services.shops import Platform, client_for

FINANCE_WORDS = {"approve": True, "approved": True, "decline": False, "declined": False, "reject": False}


@dataclass(frozen=True)
class Claim:
    """A decision the platform is to receive: claimed in the database before it is sent."""

    case_id: int
    shop_id: int
    order_id: str
    ref: CaseRef
    decision: Decision
    reason: str
    key: str


@dataclass
class Sent:
    error: str = ""
    refused: bool = False  # the platform said no (as opposed to not answering)
    cases: list[PlatformCase] = field(default_factory=list)
    orders: list[PlatformOrder] = field(default_factory=list)


@dataclass
class Verdict:
    """What the decision cells show after the edit (and why), and what is to be sent."""

    status: str  # accepted | pending | rejected
    decision: str  # the decision cell's value now
    reason: str  # the reject reason cell's value now
    note: str | None = None
    claim: Claim | None = None
    sent: Sent | None = None


def _typed(row: AfterSaleCase, actor: str) -> CaseInput:
    if row.typed is None:
        row.typed = CaseInput(updated_by=actor)
    row.typed.updated_by, row.typed.updated_at = actor, utcnow()
    return row.typed


def note(session: Session, row: AfterSaleCase, text: str, actor: str) -> str:
    """The team's note on a case: stored apart from what the platform sends, so no sync erases it."""
    _typed(row, actor).note = text[:2000] or None
    shop = session.get_one(Shop, row.shop_id)
    mark_bindings_dirty(session, shop.team_id, shop.id)
    return text[:2000]


def choose_reason(session: Session, row: AfterSaleCase, typed_reason: str, *, actor: str) -> Verdict:
    """A reject reason picked before the decision: kept (it goes out with a later `reject`), nothing sent."""
    view = view_of(row, session.get_one(Shop, row.shop_id), utcnow())
    if view.state and view.current:
        note = Phrase("already decided: {note}", note=view.status_note)
        return Verdict("rejected", view.shown_decision, view.reason_text, note)
    code = rules.reason_code(view, typed_reason) if typed_reason.strip() else ""
    if code is None:
        listed = "; ".join(r.text for r in view.reasons) or Phrase(
            "none arrived yet: try after the next sync"
        )  # the platform's reasons as it words them
        note = Phrase("pick one of {platform}'s reasons ({listed})", platform=view.platform, listed=listed)
        return Verdict("rejected", "", view.reason_text, note)
    _typed(row, actor).reject_reason = code or None
    shop = session.get_one(Shop, row.shop_id)
    mark_bindings_dirty(session, shop.team_id, shop.id)
    text = next((r.text for r in view.reasons if r.code == code), "")
    return Verdict("accepted", "", text, "Saved: pick reject in Decision to send it with this reason" if code else None)


def decide(
    session: Session,
    row: AfterSaleCase,
    *,
    typed_decision: str,
    typed_reason: str,
    actor: str,
    now: datetime | None = None,
) -> Verdict:
    """Check a decision typed into the after_sales tab and claim the case when it is to be sent.

    The caller has checked the role (the column's editors come from the action table)."""
    now = now or utcnow()
    shop = session.get_one(Shop, row.shop_id)
    view = view_of(row, shop, now)
    if not typed_decision.strip():
        return _cleared(session, row, view, actor)
    decision = rules.parse_decision(typed_decision)
    if decision is not None and rules.already_made(view, decision):
        return _replayed(row, view, decision)
    why, reason = _checked(view, decision, typed_reason, shop, now)
    if why or decision is None or view.step is None:
        return Verdict("rejected", view.shown_decision, view.reason_text, why)
    team = session.get_one(Team, shop.team_id)
    limit = rules.needs_finance(view, decision, team.refund_limits)
    if limit is not None:
        typed = _typed(row, actor)
        typed.decision, typed.step, typed.state = decision.value, view.step.value, State.AWAITING_FINANCE
        typed.decided_by, typed.decided_at, typed.reject_reason = actor, now, None
        above = Phrase("refund {currency} {refund} is above the team's limit {currency} {limit}",
                       currency=view.currency, refund=view.refund, limit=limit)  # fmt: skip
        typed.outcome = str(above)
        mark_bindings_dirty(session, team.id, shop.id)
        return Verdict("pending", decision.value, "", Phrase("awaiting finance: {outcome}", outcome=above))
    claim = _claim(session, row, step=view.step, decision=decision, reason=reason, actor=actor, now=now)
    if claim is None:
        note = "someone else is deciding this case right now; the next update shows what was sent"
        return Verdict("rejected", view.shown_decision, view.reason_text, note)
    reason_text = next((r.text for r in view.reasons if r.code == reason), reason)
    return Verdict("accepted", decision.value, reason_text, claim=claim)


def _checked(
    view: rules.CaseView, decision: Decision | None, typed_reason: str, shop: Shop, now: datetime
) -> tuple[str | None, str]:
    """Why the decision may not go out (None when it may), and the platform's code of a rejection's reason."""
    if decision is None:
        return "type approve or reject (or pick one from the list)", ""
    why = rules.why_not(view, decision, now=now)
    if why is not None or decision is Decision.APPROVE:
        return why, ""
    if not registry.channel(shop.platform).after_sales.reject_reasons:
        return None, ""
    found = rules.reason_code(view, typed_reason)
    if found is None:
        listed = "; ".join(r.text for r in view.reasons) or Phrase("none arrived yet: try after the next sync")
        why = Phrase("rejecting needs one of {platform}'s reasons in Reject reason ({listed})", platform=view.platform,
                     listed=listed)  # fmt: skip
        return why, ""
    return None, found


def _cleared(session: Session, row: AfterSaleCase, view: rules.CaseView, actor: str) -> Verdict:
    """An emptied decision cell forgets a refused or declined decision (so it can be made anew); a sent one stays."""
    if not view.current:
        return Verdict("accepted", "", "")  # the stored decision answered an earlier question: nothing to clear
    if view.state in rules.IN_FLIGHT:
        note = Phrase("a decision already went out and cannot be taken back: {note}",
                      note=view.status_note or view.decision)  # fmt: skip
        return Verdict("rejected", view.shown_decision, view.reason_text, note)
    typed = _typed(row, actor)
    typed.decision = typed.reject_reason = typed.state = typed.step = typed.outcome = typed.idempotency_key = None
    shop = session.get_one(Shop, row.shop_id)
    mark_bindings_dirty(session, shop.team_id, shop.id)
    return Verdict("accepted", "", "")


def _replayed(row: AfterSaleCase, view: rules.CaseView, decision: Decision) -> Verdict:
    """The same decision again: the stored one answers (a decision still on its way is resent, same key)."""
    typed = row.typed
    assert typed is not None
    if view.state == State.SENDING and typed.idempotency_key and view.step is not None:
        claim = Claim(row.id, row.shop_id, row.order_external_id, CaseRef(row.external_id, view.type, view.step),
                      decision, typed.reject_reason or "", typed.idempotency_key)  # fmt: skip
        return Verdict("accepted", decision.value, view.reason_text, claim=claim)
    status = {State.SENT: "accepted", State.AWAITING_FINANCE: "pending"}.get(view.state, "rejected")
    again = Phrase(" (clear the cell to decide again)") if status == "rejected" else ""
    note = Phrase("already done, nothing sent again: {note}{again}", note=view.status_note, again=again)
    return Verdict(status, view.decision, view.reason_text, note)


def _claim(
    session: Session,
    row: AfterSaleCase,
    *,
    step: SellerStep,
    decision: Decision,
    reason: str,
    actor: str,
    now: datetime,
    approved_by: str | None = None,
) -> Claim | None:
    """Store the decision with a new key, unless another worker changed the case's decision meanwhile."""
    typed = _typed(row, actor)
    session.flush()
    key = rules.idempotency_key(row.id, step, decision, secrets.token_hex(4))
    result = session.execute(
        update(CaseInput)
        .where(
            CaseInput.case_id == row.id,
            CaseInput.state.is_not_distinct_from(typed.state),
            CaseInput.idempotency_key.is_not_distinct_from(typed.idempotency_key),
        )
        .values(
            decision=decision.value,
            step=step.value,
            reject_reason=reason or None,
            state=State.SENDING,
            idempotency_key=key,
            outcome=None,
            decided_by=typed.decided_by if approved_by else actor,
            decided_at=typed.decided_at if approved_by else now,
            approved_by=approved_by,
        )
        .execution_options(synchronize_session=False)
    )
    session.refresh(typed)
    if not cast("CursorResult[Any]", result).rowcount:
        return None
    return Claim(row.id, row.shop_id, row.order_external_id, CaseRef(row.external_id, CaseType(row.type), step),
                 decision, reason, key)  # fmt: skip


# -- finance -------------------------------------------------------------------------------------------


def refund_refused(role: str) -> Phrase:
    return Phrase("the {role} role may not approve refunds above the team's limit", role=Phrase(role))


def finance_answer(session: Session, row: AfterSaleCase, *, answer: str, actor: str, role: str) -> Verdict:
    """Finance approves (then the decision is sent) or declines (nothing is sent) a refund above the limit."""
    if not role_policy().may(role, APPROVE_LARGE_REFUND):
        raise Forbidden(refund_refused(role))
    now = utcnow()
    shop = session.get_one(Shop, row.shop_id)
    view = view_of(row, shop, now)
    shown = Verdict("rejected", "", "")
    approve = FINANCE_WORDS.get(answer.strip().casefold())
    if approve is None:
        shown.note = "type approve or decline"
    elif view.state != State.AWAITING_FINANCE:
        shown.note = Phrase(
            "nothing waits for finance on this case ({note})", note=view.status_note or view.shown_status
        )
    elif not view.decided_now:
        shown.note = Phrase("the case moved on since support approved it: it is {status}", status=view.shown_status)
    elif view.deadline is not None and now >= view.deadline:
        shown.note = Phrase(
            "too late: the deadline passed, {platform} decides this case itself", platform=view.platform
        )
    elif not approve:
        typed = _typed(row, actor)
        typed.state, typed.approved_by, typed.outcome = State.DECLINED, actor, f"declined by {actor}"
        mark_bindings_dirty(session, shop.team_id, shop.id)
        return Verdict("accepted", "decline", "")
    else:
        assert view.step is not None
        claim = _claim(
            session, row, step=view.step, decision=Decision.APPROVE, reason="", actor=actor, now=now, approved_by=actor
        )
        if claim is not None:
            return Verdict("accepted", "approve", "", claim=claim)
        shown.note = "someone else is deciding this case right now"
    return shown


# -- the call, and what it changed -----------------------------------------------------------------------


def send(db: Database, platform: Platform, verdicts: list[Verdict]) -> None:
    """Send every claimed decision (no transaction open), then re-read the case and its order."""
    clients: dict[int, ShopClient] = {}
    try:
        for verdict in verdicts:
            claim = verdict.claim
            if claim is None:
                continue
            with db.session() as session:
                shop = session.get_one(Shop, claim.shop_id)
            try:
                client = clients.get(shop.id) or clients.setdefault(shop.id, client_for(db, platform, shop))
                client.decide(claim.ref, claim.decision, reason=claim.reason, idempotency_key=claim.key)
            except PlatformError as exc:
                verdict.sent = Sent(error=exc.message, refused=exc.action is not Action.RETRY)
                continue
            except OrderDeckError as exc:
                verdict.sent = Sent(error=exc.message)
                continue
            verdict.sent = Sent()
            with contextlib.suppress(PlatformError):  # decided all the same; the next sync brings the rest
                verdict.sent.cases = list(client.get_cases([claim.order_id]).cases)
                verdict.sent.orders = list(client.get_orders([claim.order_id]).orders)
    finally:
        for client in clients.values():
            client.close()


def record(session: Session, verdict: Verdict, *, actor: str, role: str | None) -> Verdict:
    """Store what the platform said about a sent decision; the verdict then says it to the cell."""
    claim, sent = verdict.claim, verdict.sent
    if claim is None or sent is None:
        return verdict
    row = session.get_one(AfterSaleCase, claim.case_id)
    shop = session.get_one(Shop, row.shop_id)
    label = registry.channel(shop.platform).label
    typed = _typed(row, actor)
    if sent.error and sent.refused:
        typed.state, typed.outcome = State.REFUSED, sent.error[:1024]
        refused = Phrase("{platform} refused: {error}", platform=label, error=sent.error)  # its words as they came
        verdict = Verdict("rejected", verdict.decision, verdict.reason, refused)
    elif sent.error:
        verdict = Verdict(
            "pending",
            verdict.decision,
            verdict.reason,
            Phrase(
                "no answer from {platform} ({error}); type the decision again to resend it: it goes with the same "
                "key, so it acts once",
                platform=label,
                error=sent.error,
            ),
        )
    else:
        typed.state, typed.outcome = State.SENT, None
        if sent.cases:
            ingest_cases(session, shop, sent.cases, actor=actor)
        if sent.orders:
            ingest_orders(session, shop, sent.orders, source="api", actor=actor)
        verdict.note = None
    row.events.append(
        CaseEvent(
            kind="decision",
            occurred_at=utcnow(),
            actor=actor,
            actor_role=role,
            detail={"decision": claim.decision.value, "reason": claim.reason, "key": claim.key,
                    "result": typed.state, "error": sent.error},
        )
    )  # fmt: skip
    mark_bindings_dirty(session, shop.team_id, shop.id)
    return verdict
