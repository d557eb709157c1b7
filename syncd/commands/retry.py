"""``syncd retry [ID ...|--all]``: the failed items, listed or re-queued.

An item is parked as failed after its retry budget (``sync.retry_budget``); nothing is dropped.
IDs name the queue: ``o12`` is outbox item 12 (a message to a client, or a private notice to
staff), ``i7`` is inbound job 7 (a client's message on its way into Okdesk). A re-queued item
gets a fresh budget and keeps what makes a resend safe (its Telegram random_ids; an inbound job
that ever posted searches Okdesk before posting again). Safe while the daemon runs: it picks the
items up within ``sync.sender_idle`` seconds.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import TYPE_CHECKING

from syncd.clock import utcnow
from syncd.commands.status import clean, with_store
from syncd.config import Settings
from syncd.durations import ago
from syncd.store.states import INBOUND_PREFIX, OUTBOX_PREFIX

if TYPE_CHECKING:  # the database libraries load only when a command runs, not for `syncd --help`
    from syncd.store import Store
    from syncd.store.status_repo import FailedItem

ORDER = 21
# The queue's prefix, then its id: as `syncd retry` lists them (built from the prefixes the store names them by).
_REF = re.compile(rf"^({re.escape(OUTBOX_PREFIX)}|{re.escape(INBOUND_PREFIX)})(\d+)$", re.IGNORECASE)
MAX_ERROR_CHARS = 120


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "retry", help="list the failed items, or re-queue them (IDs like o12 or i7, or --all)",
        description="Without arguments: list the items parked as failed. With IDs or --all: re-queue them. "
                    "o<N> is an outbox item (to a client, or a notice to staff); i<N> is a client's message "
                    "on its way into Okdesk. Safe while the daemon runs.")
    parser.add_argument("ids", nargs="*", metavar="ID", help="an item as listed: o12 (outbox) or i7 (inbound)")
    parser.add_argument("--all", action="store_true", help="re-queue every failed item")
    parser.set_defaults(handler=handle, needs_secrets=False)


def parse_refs(refs: list[str]) -> tuple[list[int], list[int], list[str]]:
    """(outbox ids, inbound ids, what is not an ID)."""
    outbox_ids: list[int] = []
    inbound_ids: list[int] = []
    bad: list[str] = []
    for ref in refs:
        match = _REF.match(ref.strip())
        if match is None:
            bad.append(ref)
        elif match.group(1).lower() == OUTBOX_PREFIX:
            outbox_ids.append(int(match.group(2)))
        else:
            inbound_ids.append(int(match.group(2)))
    return outbox_ids, inbound_ids, bad


def handle(args: argparse.Namespace, settings: Settings) -> int:
    if args.all and args.ids:
        print("syncd retry: give IDs or --all, not both", file=sys.stderr)
        return 2
    outbox_ids, inbound_ids, bad = parse_refs(args.ids)
    if bad:
        print(f"syncd retry: not an item ID: {', '.join(bad)} (IDs are as `syncd retry` lists them: "
              f"{OUTBOX_PREFIX}12 for the outbox, {INBOUND_PREFIX}7 for inbound)", file=sys.stderr)
        return 2
    def run(store: Store) -> int:
        if args.all:
            return _requeue(store, None, None)
        if args.ids:
            return _requeue(store, outbox_ids, inbound_ids)
        return _list(store)

    return with_store(settings, "retry", run)


def _list(store: Store) -> int:
    items = store.failed_items()
    if not items:
        print("No failed items.")
        return 0
    print(render_items(items))
    print()
    print(f"{len(items)} failed. Re-queue them with `syncd retry --all`, or some with `syncd retry ID ...`.")
    return 0


def render_items(items: list[FailedItem]) -> str:
    now = utcnow()
    rows = [("ID", "CREATED", "KIND", "CHAT", "ISSUE", "LAST ERROR")]
    for item in items:
        error = clean(item.last_error or "")
        if len(error) > MAX_ERROR_CHARS:
            error = error[:MAX_ERROR_CHARS - 1] + "…"
        rows.append((item.ref, ago((now - item.created_at).total_seconds()), item.kind,
                     "-" if item.tg_chat_id is None else str(item.tg_chat_id),
                     "-" if item.okdesk_issue_id is None else f"#{item.okdesk_issue_id}", error or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths)), row[-1]]).rstrip()
                     for row in rows)


def _requeue(store: Store, outbox_ids: list[int] | None, inbound_ids: list[int] | None) -> int:
    # An empty list means "none of this queue"; None means all of it.
    done_out = store.requeue_outbox(outbox_ids) if outbox_ids != [] else []
    done_in = store.requeue_inbound(inbound_ids) if inbound_ids != [] else []
    refs = [f"{OUTBOX_PREFIX}{i}" for i in done_out] + [f"{INBOUND_PREFIX}{i}" for i in done_in]
    missed: list[str] = []
    if outbox_ids is not None and inbound_ids is not None:
        states = store.item_states([i for i in outbox_ids if i not in done_out],
                                   [i for i in inbound_ids if i not in done_in])
        asked = [f"{OUTBOX_PREFIX}{i}" for i in outbox_ids] + [f"{INBOUND_PREFIX}{i}" for i in inbound_ids]
        for ref in dict.fromkeys(asked):
            if ref in refs:
                continue
            state = states.get(ref)
            missed.append(f"{ref}: no such item" if state is None else f"{ref}: not failed (it is {state})")
    if refs:
        print(f"Re-queued {len(refs)}: {' '.join(refs)}")
        print("The running daemon takes them up within seconds (or at its next start); "
              "`syncd status` shows them waiting.")
    elif not missed:
        print("No failed items: nothing to re-queue.")
    for line in missed:
        print(f"syncd retry: {line}", file=sys.stderr)
    return 1 if missed else 0
