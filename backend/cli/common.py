"""Helpers every command module shares."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
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
