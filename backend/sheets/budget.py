"""The Sheets request budget, shared through the database by every process and accounted per team.

Google counts read and write requests apart, per user per Cloud project (60 a minute) and per project
(300 a minute), over any sliding minute. Each (kind, identity) and (kind, project) is a bucket here,
counted in ten-second windows: a unit is handed out only while the bucket's last seven windows (any
sliding minute lies within seven) hold fewer than 95% of the limit, so a burst may use the minute's
quota at once and no minute ever exceeds it. Every unit is also counted against the team it was spent
for, and `domain.fairness.admit` shares the span between the teams using a bucket: a team alone may
use it all; a team past its share waits for a later window, the others do not.

A unit is taken in one transaction that first adds to the bucket's row for the current window (so every
taker of a bucket queues on that row's lock, on PostgreSQL and on SQLite alike), then reads the teams'
use of the span and decides, rolling back on a refusal. Identity buckets are always locked before
project buckets, so takers never deadlock.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, case, delete, func, select, update
from sqlalchemy.orm import Session

from backend.db import Database, insert_ignoring_duplicates
from backend.domain.fairness import Window, admit, fair_share
from backend.errors import RateLimited
from backend.models import SheetsUsage, utcnow

WINDOW = timedelta(seconds=10)
KEPT = timedelta(hours=1)  # teams seen within the hour are owed headroom; older windows are deleted


@dataclass(frozen=True)
class Quota:
    """At most `count` requests per `seconds`, counted over the windows any such span can touch."""

    count: int
    seconds: int

    @property
    def usable(self) -> int:
        return max(1, self.count * 19 // 20)  # a margin for the clocks and the time a request takes to arrive

    @property
    def span(self) -> timedelta:
        return WINDOW * (math.ceil(self.seconds / WINDOW.total_seconds()) + 1)


def _bucket(kind: str, scope: str, name: str) -> str:
    key = f"sheets:{kind}:{scope}:{name}"
    return key if len(key) <= 200 else f"sheets:{kind}:{scope}:sha256:{hashlib.sha256(name.encode()).hexdigest()}"


class _Refused(Exception):
    """This window cannot give the team a unit; roll the transaction back and wait."""


@dataclass
class SheetsBudget:
    """Sheets requests of one identity in one Cloud project, spent for one team."""

    db: Database
    identity: str
    project: str
    team_id: int
    quotas: Mapping[tuple[str, str], Quota]  # (kind, "user" | "project") → Google's limit
    max_wait: float = 120.0
    keep: float = 0.0  # the share of each write quota left to others: pushes leave a quarter to binds and edits
    # Pushes spread their write share over the span: a team takes at most a seventh of its share in one
    # ten-second window (a span counts seven; see _paced_out). Unpaced, a stream of changes spent a minute's
    # quota in its first twenty seconds and every sheet then waited for it to age out, a minute behind (36 s
    # p95 at 50 webhooks/s); paced, each of three files is pushed every five seconds while the stream lasts.
    pace: bool = False
    clock: Callable[[], datetime] = utcnow
    sleep: Callable[[float], None] = time.sleep
    waits: int = field(default=0, init=False)  # how often a request had to wait for a later window
    waited: float = field(default=0.0, init=False)

    def _buckets(self, kind: str) -> list[tuple[str, Quota]]:
        return [
            (_bucket(kind, scope, name), self.quotas[(kind, scope)])
            for scope, name in (("user", f"{self.project}/{self.identity}"), ("project", self.project))
        ]

    def _capacity(self, kind: str, quota: Quota) -> int:
        return max(1, quota.usable - (int(quota.count * self.keep) if kind == "write" else 0))

    def next_slot(self, kind: str = "write") -> float:
        """Seconds until a `kind` request would be handed out (0: now); takes nothing. For scheduling a push
        for when it can run rather than starting it to wait."""
        now = self.clock()
        step = WINDOW.total_seconds()
        start = datetime.fromtimestamp(now.timestamp() // step * step, now.tzinfo)
        with self.db.session() as session:
            for bucket, quota in self._buckets(kind):
                capacity = self._capacity(kind, quota)
                window = self._window(session, bucket, quota, start, capacity, claimed=0)
                if not admit(window) or self._paced_out(quota, window, kind=kind):
                    return (start + WINDOW - now).total_seconds() + 0.05
        return 0.0

    def _paced_out(self, quota: Quota, window: Window, *, kind: str) -> bool:
        """Whether a paced budget's team has had this ten-second window's even part of its share: a seventh
        of what the span owes it (all of it alone, an equal share among the teams using the bucket), so a
        busy team pacing itself never fills a window another team's push needs. Writes only: a push writes
        at most once but reads even when it finds nothing to write, and its read must not wait behind a
        stream's tail of such pushes (reads are not kept back for the sidebar either)."""
        if not self.pace or kind != "write":
            return False
        share = fair_share(window.capacity, 1 + len(window.rivals))
        return window.mine_now >= max(1, share * WINDOW // quota.span)  # never more than the span's count allows

    def take(self, kind: str) -> None:
        """Reserve one `kind` ("read" | "write") request, waiting for a later window while this one says no."""
        while True:
            now = self.clock()
            step = WINDOW.total_seconds()
            start = datetime.fromtimestamp(now.timestamp() // step * step, now.tzinfo)
            try:
                with self.db.session() as session:
                    for bucket, quota in self._buckets(kind):
                        self._claim(session, bucket, quota, start, self._capacity(kind, quota), kind=kind)
                return
            except _Refused:
                pass
            pause = (start + WINDOW - now).total_seconds() + 0.05
            if self.waited + pause > self.max_wait:
                raise RateLimited(
                    f"Google's Sheets {kind} quota for {self.identity}, shared with other teams, is spent for now; "
                    f"try again in {math.ceil(pause)} s",
                    retry_after=math.ceil(pause),
                )
            self.waits += 1
            self.waited += pause
            self.sleep(pause)

    def _claim(self, session: Session, bucket: str, quota: Quota, start: datetime, capacity: int, *, kind: str) -> None:
        row = SheetsUsage.__table__.c
        for team_id in (0, self.team_id):  # the bucket's own row first: its lock queues every other taker
            made = session.execute(
                insert_ignoring_duplicates(session, SheetsUsage, ["bucket", "window_start", "team_id"]).values(
                    bucket=bucket, window_start=start, team_id=team_id, used=0
                )
            )
            if team_id == 0 and cast("CursorResult[Any]", made).rowcount:  # a new window: forget the old ones
                session.execute(delete(SheetsUsage).where(row.bucket == bucket, row.window_start < start - KEPT))
            current = (row.bucket == bucket) & (row.window_start == start) & (row.team_id == team_id)
            session.execute(update(SheetsUsage).where(current).values(used=row.used + 1))
        window = self._window(session, bucket, quota, start, capacity, claimed=1)
        if not admit(window) or self._paced_out(quota, window, kind=kind):
            raise _Refused

    def _window(
        self, session: Session, bucket: str, quota: Quota, start: datetime, capacity: int, *, claimed: int
    ) -> Window:
        """The bucket's span as this team sees it, less the `claimed` unit this transaction just added."""
        row = SheetsUsage.__table__.c
        since = start + WINDOW - quota.span
        in_span = func.sum(case((row.window_start >= since, row.used), else_=0))
        in_window = func.sum(case((row.window_start == start, row.used), else_=0))
        used, mine, mine_now, rivals, dormant = 0, 0, 0, {}, False
        for team_id, last, spent, now in session.execute(
            select(row.team_id, func.max(row.window_start), in_span, in_window)
            .where(row.bucket == bucket, row.window_start >= start - KEPT)
            .group_by(row.team_id)
        ):
            if team_id == 0:
                used = int(spent) - claimed
            elif team_id == self.team_id:
                mine, mine_now = int(spent) - claimed, int(now) - claimed
            elif last >= since:
                rivals[int(team_id)] = int(spent)
            else:
                dormant = True
        return Window(capacity, used, mine, rivals, dormant, mine_now)
