"""Walking Okdesk's paged lists: page numbers for issues, keyset (from_id) for the rest.

Okdesk's list answers are bare arrays with no total and no next link, so the only end
signal is a short page. Both walkers also stop when a page brings nothing new, which keeps
a server that ignores the paging parameters from looping us forever.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, Protocol, TypeVar

# Hard stop for any walk: no account has this many pages, a misbehaving server might.
MAX_PAGES = 10_000
NEVER = datetime.min.replace(tzinfo=timezone.utc)


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


T = TypeVar("T", bound=_HasId)


def when(moment: datetime | None) -> datetime:
    """Sort key for optional timestamps: unknown ones sort first."""
    return moment if moment is not None else NEVER


def newer(old: Any, new: Any) -> Any:
    """Of two versions of one issue, the one updated last (the later one on a tie)."""
    if old is None or when(getattr(new, "updated_at", None)) >= when(
        getattr(old, "updated_at", None)
    ):
        return new
    return old


def union_newest(first: list[T], second: list[T]) -> list[T]:
    """Two walks of one list merged by id, each item in its latest version."""
    merged = {item.id: item for item in first}
    for item in second:
        merged[item.id] = newer(merged.get(item.id), item)
    return list(merged.values())


def walk_numbered(
    fetch: Callable[[int], tuple[int, list[T]]], page_size: int, max_pages: int | None = None,
    until: Callable[[list[T]], bool] | None = None,
) -> tuple[list[T], bool]:
    """Fetch pages 1, 2, … (``fetch(number) -> (raw item count, parsed items)``) until a
    short page, or a page ``until`` is true of (that page included). Returns (items, shifted).

    ``shifted``: an id seen on an earlier page came back, i.e. the list moved under us. With
    ``sorting=updated_at`` an issue updated mid-walk jumps to the end and pushes an item
    back onto a page already read, which this walk then never sees: walk again.
    """
    seen: dict[int, T] = {}
    shifted = False
    for number in range(1, min(max_pages or MAX_PAGES, MAX_PAGES) + 1):
        raw_count, page = fetch(number)
        fresh = [item for item in page if item.id not in seen]
        if page and not fresh:
            break  # the server ignores page[number]
        shifted = shifted or len(fresh) < len(page)
        for item in page:
            seen[item.id] = newer(seen.get(item.id), item)
        if raw_count < page_size or (until is not None and until(page)):
            break
    return list(seen.values()), shifted


def walk_keyset(fetch: Callable[[int | None], tuple[int, list[T]]], page_size: int) -> list[T]:
    """Fetch ``page[from_id]`` pages (``fetch(from_id)``, None first), forward by id."""
    seen: dict[int, T] = {}
    from_id: int | None = None
    for _ in range(MAX_PAGES):
        raw_count, page = fetch(from_id)
        fresh = [item for item in page if item.id not in seen]
        seen.update((item.id, item) for item in page)
        if raw_count < page_size or not fresh:
            break
        from_id = max(item.id for item in page)
    return sorted(seen.values(), key=lambda item: item.id)
