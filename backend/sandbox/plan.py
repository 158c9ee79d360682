"""Sandbox orders move on a plan: status transitions at instants, read off at the sandbox clock's now."""

from __future__ import annotations


class Planned:
    """Mixed into a sandbox's order dataclass, which declares `plan` and `touched` as fields."""

    plan: list[tuple[int, str]]
    touched: int  # the last change not in the plan (a ship through the API, say)

    def status_at(self, now: int) -> str:
        return next((status for when, status in reversed(self.plan) if when <= now), "UNPAID")

    def time_of(self, status: str, now: int) -> int | None:
        return next((when for when, s in self.plan if s == status and when <= now), None)

    def update_time(self, now: int) -> int:
        return max([self.touched] + [when for when, _ in self.plan if when <= now])
