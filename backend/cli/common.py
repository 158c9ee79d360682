"""Helpers every command module shares."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from functools import wraps
from types import FrameType
from typing import Any, TypeVar

import click

from backend.errors import OrderDeckError

F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(fn: F) -> F:
    """Turn an OrderDeckError into click's one-line `Error: …` and a non-zero exit."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OrderDeckError as exc:
            raise click.ClickException(exc.message) from None

    return wrapper  # type: ignore[return-value]


def stop_on_signals(saying: str) -> threading.Event:
    """An event Ctrl-C or SIGTERM sets (after echoing `saying` with the signal's name), for a clean stop."""
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(saying.format(signal=signal.Signals(signum).name))
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    return stop
