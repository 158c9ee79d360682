"""Raising and resolving order exceptions from templates, with role checks and an audit trail.

The sidebar (issue 6) and the customer-service sheet's dropdown column call these. Each change is
audited, written to the order's history (which feeds the handling-time analytics), marks the sheets
showing the order dirty so open exceptions appear there, and enqueues Discord notifications in the
same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.catalog import exception_templates
from backend.domain.phrases import Phrase
from backend.domain.templates import AUTOMATIC, OUTCOMES, FieldError, MessageContext, Template
from backend.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.models import AuditEntry, ExceptionCase, Member, Order, OrderEvent, Shop, Team, utcnow
from backend.services import notify
from backend.services.after_sales.prefill import prefill
from backend.services.ingest import mark_bindings_dirty

SYSTEM = "system"  # the actor of automatic raises (e.g. a stock-out found by sync)
# Agency clients look; they do not act on orders.
CANNOT_RAISE = frozenset({"viewer"})
RESOLUTION_MAX = 2048


def template(key: str) -> Template:
    try:
        return exception_templates().get(key)
    except KeyError as exc:
        raise InvalidInput(exc.args[0]) from None  # a phrase: said in the sheet's language


def _member(session: Session, team: Team, email: str) -> Member:
    member = session.scalar(select(Member).where(Member.team_id == team.id, Member.email == email.strip().lower()))
    if member is None:
        raise Forbidden(Phrase("{email} is not a member of {team}", email=email, team=team.name))
    return member


def _order_shop(session: Session, team: Team, order_id: int | None) -> tuple[Order | None, Shop | None]:
    if order_id is None:
        return None, None
    order = session.get(Order, order_id)
    shop = session.get(Shop, order.shop_id) if order else None
    if order is None or shop is None or shop.team_id != team.id:
        raise NotFound(Phrase("no order {order} in {team}", order=order_id, team=team.name))
    return order, shop


def _fields(tpl: Template, raw: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    try:
        return tpl.validate(raw, partial=partial)
    except FieldError as exc:
        raise InvalidInput(
            Phrase("{template}: {problem}", template=Phrase(tpl.label["en"]), problem=str(exc)), fields=exc.problems
        ) from None


def _record(
    session: Session,
    case: ExceptionCase,
    order: Order | None,
    *,
    actor: str,
    role: str | None,
    action: str,
    at: datetime,
) -> None:
    detail = {"case_id": case.id, "template": case.template_key, "handler_role": case.handler_role}
    if case.outcome:
        detail["outcome"] = case.outcome
    session.add(
        AuditEntry(
            team_id=case.team_id,
            actor=actor,
            action=f"exception.{action}",
            target_type="exception",
            target_id=str(case.id),
            detail=detail,
            at=at,
        )
    )
    if order is not None:
        session.add(
            OrderEvent(
                order_id=order.id,
                kind=f"exception_{action}",
                occurred_at=at,
                actor=actor,
                actor_role=role,
                detail=detail,
            )
        )
        # The tabs show the case; the stock pass reads nothing of it (it raises the stock-outs itself).
        mark_bindings_dirty(session, case.team_id, order.shop_id, [order.id], stock_pass=False)


def raise_exception(
    session: Session,
    team: Team,
    template_key: str,
    *,
    actor: str,
    order_id: int | None = None,
    fields: Mapping[str, Any] | None = None,
    from_sheet: bool = False,
    dedupe_key: str | None = None,
    now: datetime | None = None,
) -> ExceptionCase:
    """Open a case from a template for an order (or none).

    `actor` is a member's email, or SYSTEM for automatic raises, which must carry a `dedupe_key`:
    raising again with the same key returns the existing case. A case raised from the sheet's
    dropdown (`from_sheet`) starts from the order's after-sales case where the template has one (the
    cancellation and return templates) and may leave required fields empty until someone fills them in.
    """
    now = now or utcnow()
    tpl = template(template_key)
    if actor == SYSTEM:
        if not dedupe_key:
            raise InvalidInput("an automatic exception needs a dedupe key")
        role = None
    else:
        role = _member(session, team, actor).role
        if role in CANNOT_RAISE:
            raise Forbidden(Phrase("the {role} role cannot raise exceptions", role=Phrase(role)))
    if dedupe_key and (found := session.scalar(select(ExceptionCase).where(ExceptionCase.dedupe_key == dedupe_key))):
        return found
    order, _shop = _order_shop(session, team, order_id)
    if from_sheet and not fields and order is not None:  # the dropdown: start from what the platform sent
        fields = prefill(session, order, tpl)
    case = ExceptionCase(
        team_id=team.id,
        order_id=order.id if order else None,
        template_key=tpl.key,
        handler_role=tpl.handler_role,
        fields=_fields(tpl, fields or {}, partial=from_sheet),
        status="open",
        raised_by=actor.strip().lower(),
        raised_at=now,
        due_at=now + tpl.resolution_target,
        dedupe_key=dedupe_key,
    )
    try:
        with session.begin_nested():
            session.add(case)
    except IntegrityError:  # the same automatic raise, committed by another process meanwhile
        return session.scalars(select(ExceptionCase).where(ExceptionCase.dedupe_key == dedupe_key)).one()
    _record(session, case, order, actor=case.raised_by, role=role, action="raised", at=now)
    notify.exception_event(session, case, tpl.label["en"], overdue=False, now=now)
    return case


def raise_from_dropdown(session: Session, team: Team, order_id: int, label: str, *, actor: str) -> ExceptionCase:
    """The customer-service sheet's dropdown: the cell holds a template's label."""
    try:
        key = exception_templates().by_label(label).key
    except KeyError as exc:
        raise InvalidInput(exc.args[0]) from None  # a phrase: said in the sheet's language
    return raise_exception(session, team, key, actor=actor, order_id=order_id, fields={}, from_sheet=True)


def _case(session: Session, team: Team, case_id: int) -> ExceptionCase:
    case = session.get(ExceptionCase, case_id)
    if case is None or case.team_id != team.id:
        raise NotFound(Phrase("no exception {case_id} in {team}", case_id=case_id, team=team.name))
    return case


def _may_handle(member: Member, case: ExceptionCase) -> None:
    if member.role not in (case.handler_role, "admin"):
        raise Forbidden(
            Phrase(
                "only {handler} or an admin can handle this exception; {email} is {role}",
                handler=Phrase(case.handler_role),
                email=member.email,
                role=Phrase(member.role),
            )
        )


def update_fields(
    session: Session, team: Team, case_id: int, fields: Mapping[str, Any], *, actor: str, now: datetime | None = None
) -> ExceptionCase:
    """Fill in or correct a case's fields (e.g. one raised from the dropdown with none)."""
    case = _case(session, team, case_id)
    member = _member(session, team, actor)
    if member.email != case.raised_by:
        _may_handle(member, case)
    if case.status != "open":
        raise Conflict(Phrase("exception {case_id} is already resolved", case_id=case_id))
    tpl = template(case.template_key)
    case.fields = _fields(tpl, {**case.fields, **fields}, partial=True)
    order, _shop = _order_shop(session, team, case.order_id)
    _record(session, case, order, actor=member.email, role=member.role, action="updated", at=now or utcnow())
    return case


def resolve_exception(
    session: Session,
    team: Team,
    case_id: int,
    *,
    actor: str,
    outcome: str = "solved",
    resolution: str = "",
    now: datetime | None = None,
) -> ExceptionCase:
    """Close a case with its outcome, recording who and when; only its handler role or an admin may."""
    now = now or utcnow()
    case = _case(session, team, case_id)
    member = _member(session, team, actor)
    _may_handle(member, case)
    if case.status != "open":
        raise Conflict(
            Phrase("exception {case_id} was already resolved by {who}", case_id=case_id, who=case.resolved_by)
        )
    if outcome not in OUTCOMES:
        raise InvalidInput(
            Phrase("unknown outcome {outcome!r}; outcomes are: {known}", outcome=outcome, known=", ".join(OUTCOMES))
        )
    if len(resolution) > RESOLUTION_MAX:
        raise InvalidInput(Phrase("a resolution note has at most {count} characters", count=RESOLUTION_MAX))
    case.status, case.resolved_by, case.resolved_at, case.outcome = "resolved", member.email, now, outcome
    case.resolution = resolution.strip() or None
    order, _shop = _order_shop(session, team, case.order_id)
    _record(session, case, order, actor=member.email, role=member.role, action="resolved", at=now)
    return case


def resolve_automatic(session: Session, case: ExceptionCase, resolution: str, *, now: datetime | None = None) -> None:
    """Close an automatic case whose cause went away (e.g. stock arrived), on the system's behalf."""
    if case.status != "open":
        return
    now = now or utcnow()
    case.status, case.resolved_by, case.resolved_at, case.resolution = "resolved", SYSTEM, now, resolution
    case.outcome = AUTOMATIC
    order = session.get(Order, case.order_id) if case.order_id is not None else None
    _record(session, case, order, actor=SYSTEM, role=None, action="resolved", at=now)


def open_exceptions(session: Session, team_id: int, order_ids: list[int] | None = None) -> list[ExceptionCase]:
    """Open cases, oldest first (for sheets and the sidebar)."""
    query = select(ExceptionCase).where(ExceptionCase.team_id == team_id, ExceptionCase.status == "open")
    if order_ids is not None:
        query = query.where(ExceptionCase.order_id.in_(order_ids))
    return list(session.scalars(query.order_by(ExceptionCase.raised_at, ExceptionCase.id)))


def customer_message(session: Session, case: ExceptionCase, language: str = "en") -> str:
    """The message to send the buyer, rendered from the case's fields in `language`."""
    tpl = template(case.template_key)
    order = session.get(Order, case.order_id) if case.order_id is not None else None
    shop = session.get(Shop, order.shop_id) if order else None
    context = MessageContext(
        order_id=order.external_id if order else "",
        shop_name=(shop.name if shop else "") or "",
        currency=order.currency if order else "USD",
    )
    try:
        return tpl.render(case.fields, language, context)
    except FieldError as exc:
        raise InvalidInput(
            Phrase("fill in the exception's fields first: {problem}", problem=str(exc)), fields=exc.problems
        ) from None
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
