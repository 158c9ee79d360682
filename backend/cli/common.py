"""Helpers every command module shares."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click

from backend.errors import InvalidInput, OrderDeckError

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


def read_text(path: Path) -> str:
    """A text file as UTF-8 (a byte-order mark is fine); anything else is refused in one line saying how to fix it."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f'{path.name} is not UTF-8 text (byte {exc.start + 1} is not): save it as "CSV UTF-8" and import again'
        ) from None


def stop_on_signals(saying: str) -> threading.Event:
    """An event Ctrl-C or SIGTERM sets (after echoing `saying` with the signal's name), for a clean stop."""
    stop = threading.Event()

    def _stop(signum: int, _frame: FrameType | None) -> None:
        click.echo(saying.format(signal=signal.Signals(signum).name))
        stop.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    return stop
