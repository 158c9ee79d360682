"""Who may see what: the role table from schemas/roles.json as a pure policy object."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

ADMIN = "admin"


class Sensitivity(StrEnum):
    OPERATIONAL = "operational"
    PERSONAL = "personal"
    SALES = "sales"
    COST = "cost"
    PURCHASE = "purchase"  # what buying stock costs: supplier prices, domestic shipping, freight, duty, forwarder fees


@dataclass(frozen=True)
class RolePolicy:
    """The visibility table; built from data so a new role needs no code."""

    sees: Mapping[str, frozenset[Sensitivity]]
    labels: Mapping[str, str]
    # Who may act, beside who may see: action → the roles that may take it (admins always may).
    actions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    class_words: Mapping[Sensitivity, str] = field(default_factory=dict)

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> RolePolicy:
        roles: Mapping[str, Mapping[str, Any]] = doc["roles"]
        actions: Mapping[str, Mapping[str, Any]] = doc.get("actions", {})
        unknown = sorted({r for spec in actions.values() for r in spec["roles"]} - set(roles))
        if unknown:
            raise ValueError(f"actions name roles that are not in the role table: {', '.join(unknown)}")
        return cls(
            sees={name: frozenset(Sensitivity(c) for c in spec["sees"]) for name, spec in roles.items()},
            labels={name: str(spec["label"]) for name, spec in roles.items()},
            actions={name: frozenset(spec["roles"]) | {ADMIN} for name, spec in actions.items()},
            class_words={Sensitivity(c): str(words) for c, words in doc.get("class_words", {}).items()},
        )

    def may(self, role: str, action: str) -> bool:
        """Whether `role` may take `action` (an action the table does not list: admins only)."""
        return role in self.actions.get(action, frozenset({ADMIN}))

    def acting(self, action: str) -> frozenset[str]:
        return self.actions.get(action, frozenset({ADMIN}))

    def label(self, role: str) -> str:
        """The role as people call it ("Warehouse / 3PL"), or its key when the table has no label."""
        return self.labels.get(role, role)

    def words(self, sensitivity: Sensitivity) -> str:
        return self.class_words.get(sensitivity, f"{sensitivity.value} data")

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self.sees)

    def is_role(self, role: str) -> bool:
        return role in self.sees

    def may_see(self, role: str, sensitivity: Sensitivity) -> bool:
        return sensitivity in self.sees.get(role, frozenset())

    def hidden_from(self, role: str, sensitivities: Iterable[Sensitivity]) -> set[Sensitivity]:
        """The classes in `sensitivities` that `role` may not see (empty means all allowed)."""
        return {s for s in sensitivities if not self.may_see(role, s)}

    def roles_seeing(self, sensitivities: Iterable[Sensitivity]) -> tuple[str, ...]:
        """Every role that may see all of `sensitivities` (e.g. who may read a spreadsheet)."""
        needed = set(sensitivities)
        return tuple(r for r, seen in self.sees.items() if needed <= seen)


def join_words(items: Sequence[str], last: str = "and") -> str:
    """ "a", "a and b", "a, b and c": a list as a sentence reads it."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"
