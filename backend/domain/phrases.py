"""A note or cell text said in English that keeps its message and arguments, so a sheet in another language
can say it in its own words (backend/domain/localize.py). Apart from localize so that the domain modules whose
words the columns show can make phrases without importing the columns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


class Phrase(str):
    """A note said in English (it is that text) that keeps its message and arguments, so a sheet in another
    language gets it in its own words: `said(phrase, translate)`. Arguments that are phrases are said too."""

    message: str
    args: dict[str, Any]

    def __new__(cls, message: str, /, **args: Any) -> Phrase:  # an argument may be called "message" too
        made = super().__new__(cls, message.format(**args))
        made.message, made.args = message, args
        return made

    def __reduce__(self) -> tuple[Callable[..., Phrase], tuple[str, dict[str, Any]]]:
        """Copied or pickled as a phrase, never re-made from its English text (which may hold braces)."""
        return _phrase, (self.message, self.args)


def _phrase(message: str, args: dict[str, Any]) -> Phrase:
    return Phrase(message, **args)


def joined(parts: Sequence[str]) -> str:
    """Several problems as one note ("a; b; c"), each said in the sheet's language when it is a phrase."""
    if len(parts) == 1:
        return parts[0]
    return Phrase("{first}; {rest}", first=parts[0], rest=joined(parts[1:]))


def listed(parts: Sequence[str], last: str = "") -> str:
    """ "a, b, c" — or with `last` ("or") "a, b or c" — each part said in the caller's language when it is a phrase."""
    if len(parts) <= 1:
        return parts[0] if parts else ""
    if last == "or":
        return Phrase("{first} or {last}", first=listed(parts[:-1]), last=parts[-1])
    return Phrase("{first}, {rest}", first=parts[0], rest=listed(parts[1:]))


def said(text: str, translate: Callable[[str], str]) -> str:
    """`text` in the language of `translate`: a phrase by its message, a plain note as a whole."""
    if not isinstance(text, Phrase):
        return translate(text)
    args = {k: said(v, translate) if isinstance(v, Phrase) else v for k, v in text.args.items()}
    return translate(text.message).format(**args)
