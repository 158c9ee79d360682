"""What several benchmarks share: a timer that records its figure, a scratch database, a team with one shop to
seed, and a child process to measure in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.db import Database
from backend.models import Order, Shop, Team

T = TypeVar("T")


def timed(label: str, results: dict[str, object], work: Callable[[], T]) -> T:
    """Run `work`, record its wall time as `results[label + "_s"]`, and return its value."""
    started = time.perf_counter()
    value = work()
    results[f"{label}_s"] = round(time.perf_counter() - started, 3)
    return value


@contextmanager
def scratch_database(results: dict[str, object]) -> Iterator[Database]:
    """A migrated scratch SQLite database, or DATABASE_URL's (`results["database"]` says which); the "Bench"
    team and its orders are deleted afterwards, which leaves a given DATABASE_URL clean."""
    given = os.environ.get("DATABASE_URL")
    results["database"] = "DATABASE_URL" if given else "sqlite"
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(given or f"sqlite:///{scratch}/bench.db")
        db.migrate()
        try:
            yield db
        finally:
            with db.session() as session:
                shops = select(Shop.id).join(Team).where(Team.name == "Bench")
                session.execute(delete(Order).where(Order.shop_id.in_(shops)))
                session.execute(delete(Team).where(Team.name == "Bench"))
            db.dispose()


def team_with_shop(session: Session, team_name: str, external_id: str, **shop: Any) -> tuple[Team, Shop]:
    """A team (London time) and one shop of it, flushed so both have ids."""
    team = Team(name=team_name, time_zone="Europe/London")
    session.add(team)
    session.flush()
    made = Shop(team_id=team.id, external_id=external_id, **shop)
    session.add(made)
    session.flush()
    return team, made


def in_child(script: str, spec: dict[str, Any], timeout: float) -> dict[str, float]:
    """Run `script --child SPEC` (so its peak memory is its own) and return the JSON its last line prints."""
    done = subprocess.run(
        [sys.executable, script, "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{Path(script).name} child failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result
