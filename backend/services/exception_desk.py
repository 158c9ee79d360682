"""The sidebar's exceptions desk: a member's open cases, their typed fields, resolving, the buyer message.

Every function takes the resolved `Caller` and calls `services.workflow`, which keeps the rules (who may
raise, fill, resolve); this module only finds things inside the caller's team and shapes the answers.
A member sees the open cases their role handles (an admin sees all of them) and the ones they raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.catalog import exception_templates
from backend.domain.phrases import Phrase
from backend.domain.templates import LANGUAGES, OUTCOMES, FieldSpec, Template, buyer_language
from backend.errors import Forbidden, InvalidInput, NotFound
from backend.models import ExceptionCase, Order, Shop, Team, utcnow
from backend.services import workflow
from backend.services.addon import Caller


def _field(spec: FieldSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "type": spec.type,
        "label": dict(spec.label),
        "required": spec.required,
        "max_length": spec.max_length,
        "minimum": spec.minimum,
        "choices": [{"value": c.value, "label": dict(c.label)} for c in spec.choices],
    }


def _template(tpl: Template) -> dict[str, Any]:
    return {
        "key": tpl.key,
        "label": dict(tpl.label),
        "handler_role": tpl.handler_role,
        "fields": [_field(spec) for spec in tpl.fields],
    }


def _case(case: ExceptionCase, order: Order | None, shop: Shop | None, caller: Caller, now: datetime) -> dict[str, Any]:
    tpl = workflow.template(case.template_key)
    return {
        "id": case.id,
        "template": case.template_key,
        "label": dict(tpl.label),
        "handler_role": case.handler_role,
        "order_id": order.external_id if order else None,
        "shop": (shop.name or shop.external_id) if shop else None,
        "fields": dict(case.fields),
        "missing": tpl.missing(case.fields),
        "raised_by": case.raised_by,
        "raised_at": case.raised_at.isoformat(),
        "due_at": case.due_at.isoformat() if case.due_at else None,
        "overdue": case.due_at is not None and case.due_at <= now,
        "may_resolve": caller.role in (case.handler_role, "admin"),
        "status": case.status,
        "outcome": case.outcome,
    }


def _describe(session: Session, caller: Caller, case: ExceptionCase) -> dict[str, Any]:
    order = session.get(Order, case.order_id) if case.order_id is not None else None
    shop = session.get(Shop, order.shop_id) if order else None
    return _case(case, order, shop, caller, utcnow())


def board(session: Session, caller: Caller) -> dict[str, Any]:
    """The caller's open cases, oldest first, with every template (to raise one) and the outcomes."""
    query = select(ExceptionCase, Order, Shop).outerjoin(Order, Order.id == ExceptionCase.order_id)
    query = query.outerjoin(Shop, Shop.id == Order.shop_id).where(
        ExceptionCase.team_id == caller.team_id, ExceptionCase.status == "open"
    )
    if caller.role != "admin":
        query = query.where(or_(ExceptionCase.handler_role == caller.role, ExceptionCase.raised_by == caller.email))
    now = utcnow()
    rows = session.execute(query.order_by(ExceptionCase.raised_at, ExceptionCase.id)).all()
    return {
        "cases": [_case(case, order, shop, caller, now) for case, order, shop in rows],
        "templates": [_template(tpl) for tpl in exception_templates()],
        "outcomes": list(OUTCOMES),
        "languages": list(LANGUAGES),
    }


def _order_id(session: Session, caller: Caller, external_id: str | None) -> int | None:
    """The team's order with this platform id (any of its shops), or None for a case about no order."""
    if not external_id:
        return None
    found = session.scalar(
        select(Order.id)
        .join(Shop, Shop.id == Order.shop_id)
        .where(Shop.team_id == caller.team_id, Order.external_id == external_id.strip())
        .order_by(Order.id)
        .limit(1)
    )
    if found is None:
        raise NotFound(Phrase("no order {order} in {team}", order=external_id.strip(), team=caller.team_name))
    return found


def raise_case(
    session: Session, caller: Caller, template_key: str, order_id: str | None, fields: Mapping[str, Any]
) -> dict[str, Any]:
    team = session.get_one(Team, caller.team_id)
    case = workflow.raise_exception(
        session, team, template_key, actor=caller.email, order_id=_order_id(session, caller, order_id), fields=fields
    )
    return _describe(session, caller, case)


def fill(session: Session, caller: Caller, case_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
    team = session.get_one(Team, caller.team_id)
    case = workflow.update_fields(session, team, case_id, fields, actor=caller.email)
    return _describe(session, caller, case)


def resolve(session: Session, caller: Caller, case_id: int, outcome: str, note: str) -> dict[str, Any]:
    team = session.get_one(Team, caller.team_id)
    case = workflow.resolve_exception(session, team, case_id, actor=caller.email, outcome=outcome, resolution=note)
    return _describe(session, caller, case)


def buyer_message(session: Session, caller: Caller, case_id: int, language: str | None) -> dict[str, Any]:
    """The message to copy to the buyer: in `language`, else in the one the buyer is likely to read."""
    case = session.get(ExceptionCase, case_id)
    if case is None or case.team_id != caller.team_id:
        raise NotFound(Phrase("no exception {case_id} in {team}", case_id=case_id, team=caller.team_name))
    if caller.role not in (case.handler_role, "admin"):
        raise Forbidden(
            Phrase("only {role} or an admin writes to the buyer about this exception", role=Phrase(case.handler_role))
        )
    order = session.get(Order, case.order_id) if case.order_id is not None else None
    if language is None:
        language = buyer_language(order.recipient_region_code, order.buyer_message) if order else "en"
    if language not in LANGUAGES:
        raise InvalidInput(
            Phrase(
                "no buyer message in {language!r}; languages are {known}", language=language, known=", ".join(LANGUAGES)
            )
        )
    return {"id": case.id, "language": language, "message": workflow.customer_message(session, case, language)}
