"""What the sidebar shows and does about after-sales: the Pending-Action board with links to the rows, and
the refunds above the team's limit that finance approves (the amount, never the buyer's data)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend import i18n
from backend.catalog import role_policy
from backend.db import Database
from backend.domain.phrases import Phrase
from backend.errors import Forbidden, NotFound
from backend.models import AfterSaleCase, Shop, Team, utcnow
from backend.services.addon import Caller
from backend.services.after_sales import board, decisions
from backend.services.bindings import APPROVE_LARGE_REFUND
from backend.services.shops import Platform
from backend.services.views import team_shops


def pending_actions(session: Session, caller: Caller) -> dict[str, Any]:
    """Per shop, every action's count with a link to its rows; for roles that approve them, the refunds."""
    shops = team_shops(session, caller.team_id, [])
    found = board.targets(session, caller.team_id)
    team = session.get_one(Team, caller.team_id)
    translate = i18n.translator(team.language)
    per_shop: dict[int, dict[str, Any]] = {}
    for count in board.counts(session, shops, utcnow()):
        entry = per_shop.setdefault(count.shop_id, {"shop_id": count.shop_id, "shop": count.shop, "actions": []})
        entry["actions"].append(
            {"key": count.action.key, "label": translate(count.action.label), "count": len(count.keys),
             "link": board.link_to(count, found)}
        )  # fmt: skip
    refunds = []
    if role_policy().may(caller.role, APPROVE_LARGE_REFUND):
        refunds = [
            {"case": row.case, "order": row.order, "shop": row.shop, "currency": row.currency,
             "refund": str(row.refund) if row.refund is not None else None,
             "limit": str(row.limit) if row.limit is not None else None, "approved_by": row.asked_by,
             "deadline": row.deadline.isoformat() if row.deadline else None}
            for row in board.finance_rows(session, team, shops, utcnow())
            if not row.finance
        ]  # fmt: skip
    return {"shops": list(per_shop.values()), "refunds": refunds}


def answer_refund(db: Database, platform: Platform, caller: Caller, case: str, answer: str) -> dict[str, Any]:
    """Finance approves (sent to the platform now) or declines (nothing sent) a refund above the limit."""
    if not role_policy().may(caller.role, APPROVE_LARGE_REFUND):
        raise Forbidden(decisions.refund_refused(caller.role))
    with db.session() as session:
        row = session.scalar(
            select(AfterSaleCase)
            .join(Shop, Shop.id == AfterSaleCase.shop_id)
            .where(Shop.team_id == caller.team_id, AfterSaleCase.external_id == case.strip())
        )
        if row is None:
            raise NotFound(Phrase("no after-sales case {case!r} in your team", case=case))
        verdict = decisions.finance_answer(session, row, answer=answer, actor=caller.email, role=caller.role)
    decisions.send(db, platform, [verdict])
    with db.session() as session:
        verdict = decisions.record(session, verdict, actor=caller.email, role=caller.role)
    return {"case": case, "status": verdict.status, "answer": verdict.decision, "note": verdict.note}
