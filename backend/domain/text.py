"""Text too long for where it must go (a Sheets cell, a database column) is cut with a visible marker.

Refusing it would refuse its whole row, batch or push for one buyer's long message; cutting it
silently would let a reader take a part for the whole. The marker says how long the text was.
"""

from __future__ import annotations

from collections.abc import Callable

MARKER = " … [cut: {length:,} characters]"
# The shortest limit a cut leaves room in for a useful start of the text besides the marker.
SHORTEST_CUT = 64


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript (and so Google Sheets) counts: an emoji counts two."""
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def cut(text: str, limit: int, *, measure: Callable[[str], int] = len) -> str:
    """`text` when it fits `limit` as `measure` counts it; otherwise its start and a marker, within `limit`."""
    if measure(text) <= limit:
        return text
    if limit < SHORTEST_CUT:
        raise ValueError(f"a limit of {limit} characters leaves no room for a cut marker")
    marker = MARKER.format(length=len(text))
    room = limit - measure(marker)
    kept = text[:room]
    while (over := measure(kept) - room) > 0:  # characters counted as two units take more room
        kept = kept[: len(kept) - over]
    return kept.rstrip() + marker
