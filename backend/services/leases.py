"""Named leases in the database: one holder at a time across processes and hosts, expiring on crash.

A lease is taken with one conditional UPDATE (or an INSERT for a name never seen), which both SQLite
and PostgreSQL execute atomically, so no advisory locks or dialect-specific SQL are needed.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, insert, update
from sqlalchemy.exc import IntegrityError

from backend.db import Database, insert_ignoring_duplicates
from backend.errors import Conflict, DatabaseUnavailable
from backend.models import Lease, utcnow


class LeaseHeld(Conflict):
    """Someone else holds the lease; try again after it expires or is released."""

    code = "lease_held"


def new_holder() -> str:
    """A holder id that names this process, for logs: host:pid:random."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def try_acquire(db: Database, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Take or extend `name` for `holder` until now + ttl; False if another live holder has it."""
    now = now or utcnow()
    expires = now + ttl
    with db.session() as session:
        result = session.execute(
            update(Lease)
            .where(Lease.name == name, (Lease.holder == holder) | (Lease.expires_at <= now))
            .values(holder=holder, expires_at=expires)
        )
        taken = cast("CursorResult[Any]", result).rowcount
    if taken:
        return True
    try:
        with db.session() as session:
            session.execute(insert(Lease).values(name=name, holder=holder, expires_at=expires))
    except IntegrityError:
        return False  # it exists and is held by someone else
    return True


def hold_until(db: Database, names: Iterable[str], holder: str, until: datetime) -> None:
    """Set each of `names` to `holder` until `until`, whoever held it: a note that work is set for then, not a
    lock. One transaction for all of them."""
    rows = [{"name": name, "holder": holder, "expires_at": until} for name in sorted(set(names))]
    if not rows:
        return
    with db.session() as session:
        session.execute(insert_ignoring_duplicates(session, Lease, ["name"]).values(rows))
        held = [row["name"] for row in rows]
        session.execute(update(Lease).where(Lease.name.in_(held)).values(holder=holder, expires_at=until))


def release(db: Database, name: str, holder: str) -> None:
    with db.session() as session:
        session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))


@contextmanager
def held(db: Database, name: str, holder: str, ttl: timedelta) -> Iterator[LeaseRenewal]:
    """Hold `name` for the block, or raise LeaseHeld at once; renew with the yielded object."""
    if not try_acquire(db, name, holder, ttl):
        raise LeaseHeld(f"{name} is being worked on by another worker; try again shortly")
    renewal = LeaseRenewal(db, name, holder, ttl)
    try:
        yield renewal
    except BaseException:
        # If the database went away, so can the release: the lease then expires by itself, and the
        # error worth reporting is the one that stopped the work.
        with suppress(DatabaseUnavailable):
            release(db, name, holder)
        raise
    release(db, name, holder)


class LeaseRenewal:
    """Extends a held lease; raises LeaseHeld if it was lost (expired and taken by another worker).

    Written at most every quarter of its time to live: a sync renews after each page, and each renewal
    was one more transaction waiting for the disk per page. Nobody can take a lease with three
    quarters of its time left, so the skipped writes lose nothing.
    """

    def __init__(self, db: Database, name: str, holder: str, ttl: timedelta) -> None:
        self.db, self.name, self.holder, self.ttl = db, name, holder, ttl
        self.renewed_at = utcnow()

    def renew(self) -> None:
        now = utcnow()
        if now - self.renewed_at < self.ttl / 4:
            return
        if not try_acquire(self.db, self.name, self.holder, self.ttl, now):
            raise LeaseHeld(f"lost the lease on {self.name}: another worker took it over")
        self.renewed_at = now
