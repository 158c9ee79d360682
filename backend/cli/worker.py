"""`worker`: the local scheduler — what App Engine cron and Cloud Tasks do in production."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import click
from flask import current_app

from backend import tasks
from backend.cli.common import reports_errors, stop_on_signals


@dataclass
class Sweep:
    """A task path run every `every` seconds, like one cron.yaml entry."""

    path: str
    every: float
    next_at: float = 0.0


SWEEPS = (
    Sweep("/tasks/sync-due", 15.0),
    Sweep("/tasks/push-due", 10.0),
    Sweep("/tasks/notify-due", 30.0),
    Sweep("/tasks/track-due", 60.0),
    Sweep("/tasks/retention-due", 3600.0),
)


def run_scheduler(
    stop: threading.Event, sweeps: tuple[Sweep, ...] = SWEEPS, clock: Callable[[], float] = time.monotonic
) -> None:
    """Enqueue each sweep when due until `stop` is set; the task executor does the work."""
    while not stop.is_set():
        now = clock()
        for sweep in sweeps:
            if now >= sweep.next_at:
                tasks.enqueue(sweep.path)
                sweep.next_at = now + sweep.every
        stop.wait(min(s.next_at for s in sweeps) - now if sweeps else 1.0)


@click.command("worker")
@reports_errors
def worker_command() -> None:
    """Run the local scheduler and task executor in the foreground (Ctrl-C stops it cleanly)."""
    stop = stop_on_signals("worker: {signal}, finishing running tasks…")
    click.echo("worker: " + ", ".join(f"{s.path} every {s.every:g} s" for s in SWEEPS))
    run_scheduler(stop)
    queue = current_app.extensions["orderdeck.tasks"]
    if isinstance(queue, tasks.InlineTasks):
        queue.shutdown()
    click.echo("worker: stopped")
