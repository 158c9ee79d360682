"""Where each row of a tab goes: which rows to delete, move and insert so that the tab holds the wanted
rows in its order, request by request (pure; backend/domain/sheet_plan.py writes the cells).

Rows are found by key, so a tab sorted or filtered by hand is changed in place. A tab left in the
profile's order stays in it: a new row is inserted where the sort puts it and a row whose sort value
changed is moved, at one request per row (or per run of new rows); a tab sorted by hand keeps the
team's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from backend.domain.profiles import Profile, Rank, Row, order_key

if TYPE_CHECKING:
    from backend.domain.sheet_plan import Memos, Snapshot, TabSpec, TabState

Json = dict[str, Any]


BLANK = "\x00blank:"  # a row whose key cell is empty, told apart from the other empty ones by its place


@dataclass
class Grid:
    """The tab's data rows as the batch leaves them, request by request: row i is sheet row i + 1."""

    sheet_id: int
    rows: list[str]
    size: int  # rows in the grid, the header included
    requests: list[Json] = field(default_factory=list)
    moves: int = 0
    order: int = 1  # the order the rows are left in (see Snapshot.order)
    blanks: bool = False  # some rows have an empty key (told apart as BLANK + their index)

    def span(self, start: int, end: int) -> Json:
        return {"sheetId": self.sheet_id, "dimension": "ROWS", "startIndex": start + 1, "endIndex": end + 1}

    def grow(self, length: int) -> None:
        if length > 0:
            self.requests.append({"appendDimension": {"sheetId": self.sheet_id, "dimension": "ROWS", "length": length}})
            self.size += length

    def delete(self, doomed: Sequence[int]) -> None:
        """Delete data rows (ascending indexes), bottom run first so the others' indexes hold."""
        self.grow(2 - (self.size - len(doomed)))  # Sheets refuses to delete every non-frozen row: grow first
        for start, end in reversed(row_runs(doomed)):
            self.requests.append({"deleteDimension": {"range": self.span(start, end)}})
            del self.rows[start:end]
            self.size -= end - start

    def move(self, key: str, after: str | None) -> None:
        """Move one row to just below `after` (None: the top), if it is not there already."""
        source = self.rows.index(key)
        del self.rows[source]
        target = 0 if after is None else self.rows.index(after) + 1
        self.rows.insert(target, key)
        if target == source:
            return
        destination = target + 1 if target > source else target  # counted before the source row leaves
        self.requests.append(
            {"moveDimension": {"source": self.span(source, source + 1), "destinationIndex": destination + 1}}
        )
        self.moves += 1

    def insert(self, keys: Sequence[str], after: str | None) -> None:
        """New rows just below `after` (None: the top): empty rows at the bottom are used, else rows inserted."""
        target = 0 if after is None else self.rows.index(after) + 1
        if target == len(self.rows):
            self.grow(len(keys) - (self.size - 1 - len(self.rows)))
        else:
            dimension = self.span(target, target + len(keys))
            self.requests.append({"insertDimension": {"range": dimension, "inheritFromBefore": target > 0}})
            self.size += len(keys)
        self.rows[target:target] = keys


@dataclass
class Wanted:
    """Every row the tab should hold: the rows projected now and (incrementally) every other row the
    snapshot remembers, less `old`: the remembered rows of the orders re-read."""

    profile: Profile
    projected: dict[str, Row]
    memos: Memos
    old: frozenset[str] = frozenset()
    incremental: bool = False
    _ranks: dict[str, Rank] = field(default_factory=dict)
    _keys: dict[str, tuple[Any, ...]] = field(default_factory=dict)

    def __contains__(self, key: str) -> bool:
        if key in self.projected:
            return True
        return self.incremental and key in self.memos.stored and key not in self.old

    def rank(self, key: str) -> Rank:
        rank = self._ranks.get(key)
        if rank is None:
            row = self.projected.get(key)
            rank = self._ranks[key] = (row.rank if row is not None else self.memos[key].rank) or ()
        return rank

    def order_key(self, key: str) -> tuple[Any, ...]:
        found = self._keys.get(key)
        if found is None:
            found = self._keys[key] = order_key(self.profile, self.rank(key))
        return found


def wanted_rows(spec: TabSpec, known: Snapshot) -> Wanted:
    projected = {row.key: row for row in spec.rows}
    owners = known.owners or {}
    old = (
        frozenset(k for owner in spec.touched for k in owners.get(str(owner), ()))
        if spec.touched is not None
        else frozenset()
    )
    wanted = Wanted(spec.profile, projected, known.rows, old, incremental=spec.touched is not None)
    blank: Rank = (None,) * len(spec.profile.sort)
    for index, row in enumerate(spec.rows):  # rows projected without a rank keep their place as the tie-break
        if row.rank is None:
            wanted._ranks[row.key] = (*blank, index)
    return wanted


def _direction(keys: Sequence[tuple[Any, ...]]) -> int:
    """1 when `keys` ascend (the profile's order), -1 when they descend (that order reversed), else 0."""
    pairs = list(pairwise(keys))
    if all(not b < a for a, b in pairs):
        return 1
    if all(not a < b for a, b in pairs):
        return -1
    return 0


class _Order(Sequence[Any]):
    """The order keys of rows that stay, computed only where a search looks; an empty-key row rides with
    the row above it (None at the top)."""

    def __init__(self, keys: list[str], wanted: Wanted) -> None:
        self.keys, self.wanted = keys, wanted

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, index: Any) -> Any:
        at = int(index)
        while at >= 0 and self.keys[at].startswith(BLANK):
            at -= 1
        return None if at < 0 else self.wanted.order_key(self.keys[at])


def _arrange(grid: Grid, wanted: Wanted, resorted: set[str], new_keys: list[str], hint: int | None) -> None:
    """Put new rows, and rows whose sort values changed, where the tab's order puts them.

    A tab nobody sorted by hand (its other rows ascend in the profile's order) stays in that order:
    changed rows move, new rows are inserted in place. A tab sorted by hand keeps the team's order; if
    that is the profile's order reversed, new rows go where it puts them, otherwise at the top.
    `hint` is the order the last push left the tab in, when its rows have not moved since.
    """
    if hint is None:
        steady = [k for k in grid.rows if not k.startswith(BLANK) and k not in resorted]
        hint = _direction([wanted.order_key(k) for k in steady])
    grid.order = hint
    arriving = sorted(new_keys, key=wanted.order_key, reverse=hint < 0)
    if hint == 0:
        if arriving:
            grid.insert(arriving, None)
        return
    final = list(grid.rows)
    for key in resorted:
        final.remove(key)
    order = _Order(final, wanted)
    placing = sorted([*resorted, *arriving], key=wanted.order_key, reverse=hint < 0)
    cursor, last_at, last_key = 0, -1, ""
    placements: list[tuple[str, str | None]] = []
    for key in placing:
        at = _insertion_point(order, wanted.order_key(key), cursor, hint)
        placements.append((key, last_key if at == last_at else (final[at - 1] if at else None)))
        cursor, last_at, last_key = at, at, key
    fresh = set(arriving)
    block: list[str] = []
    block_after: str | None = None
    for key, after in [*placements, ("", "")]:
        if block and (key not in fresh or after != block[-1]):
            grid.insert(block, block_after)
            block = []
        if key in fresh:
            block_after = after if not block else block_after
            block.append(key)
        elif key:
            grid.move(key, after)


def _insertion_point(order: Sequence[Any], key: tuple[Any, ...], low: int, direction: int) -> int:
    """The first place at or after `low` whose neighbour above is not after `key` in the tab's direction."""
    high = len(order)
    while low < high:
        middle = (low + high) // 2
        here = order[middle]
        ahead = here is None or (key < here if direction > 0 else here < key)
        if ahead:
            high = middle
        else:
            low = middle + 1
    return low


@dataclass
class Layout:
    grid: Grid
    new_keys: list[str]
    removed: int
    first_fill: bool  # the tab is (re)written whole: formats go on every row at once


def lay_out(spec: TabSpec, state: TabState | None, known: Snapshot, wanted: Wanted, rewrite: bool) -> Layout:
    """Deletions, moves and insertions that give the tab the wanted rows in the right places."""
    if state is None or rewrite:
        grid = Grid(spec.sheet_id, [], 1 + max(len(spec.rows), 1))
        removed = 0
        if state is not None:
            grid = Grid(state.sheet_id, [], state.row_count)
            grid.grow(max(1 + len(spec.rows), 2) - 1)  # grow first (at the end), so the deletion's indexes hold
            grid.requests.append({"deleteDimension": {"range": grid.span(0, state.row_count - 1)}})
            grid.size -= state.row_count - 1
            removed = len([k for k in state.keys if k])
        grid.rows = [row.key for row in spec.rows]
        return Layout(grid, list(grid.rows), removed, first_fill=True)
    kept_order = state.keys == known.keys  # every row where the last push left it
    hint = known.order if kept_order else None
    blanks = "" in state.keys
    rows = [key or f"{BLANK}{i}" for i, key in enumerate(state.keys)] if blanks else list(state.keys)
    grid = Grid(state.sheet_id, rows, state.row_count, blanks=blanks)
    projected = wanted.projected
    if kept_order and wanted.incremental:  # the sheet is the snapshot: only the re-read orders' rows can go
        doomed = sorted(rows.index(k) for k in wanted.old if k not in projected)
        present = {k for k in projected if k in known.rows.stored}
    else:
        present, doomed = set(), []
        for i, key in enumerate(rows):
            if key.startswith(BLANK):
                continue
            if key in present or key not in wanted:
                doomed.append(i)
            else:
                present.add(key)
    grid.delete(doomed)
    new_keys = [key for key in projected if key not in present]
    count = len(spec.profile.sort)
    resorted = {
        key
        for key in projected
        if key in present
        and (
            (memo := known.rows.get(key)) is None or memo.rank is None or memo.rank[:count] != wanted.rank(key)[:count]
        )
    }
    _arrange(grid, wanted, resorted, new_keys, hint)
    return Layout(grid, new_keys, len(doomed), first_fill=False)


def row_runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for r in rows:
        if runs and runs[-1][1] == r:
            runs[-1] = (runs[-1][0], r + 1)
        else:
            runs.append((r, r + 1))
    return runs
