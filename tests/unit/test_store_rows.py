"""Each typed row the store hands out is its table's columns, by name, in order, with their
nullability: a migration that adds a column without its field fails here, not in production."""

from __future__ import annotations

import dataclasses
import types
import typing

import pytest
from sqlalchemy import Table

from syncd.store import rows, schema

PAIRS = [
    (rows.Link, schema.links),
    (rows.FollowedIssue, schema.followed_issues),
    (rows.OutboxItem, schema.outbox),
    (rows.InboxMessage, schema.inbox_messages),
    (rows.InboundJob, schema.inbound_jobs),
    (rows.IssueRating, schema.issue_ratings),
]


@pytest.mark.parametrize(("cls", "table"), PAIRS, ids=[cls.__name__ for cls, _ in PAIRS])
def test_a_typed_row_is_its_tables_columns(cls: type, table: Table) -> None:
    hints = typing.get_type_hints(cls)
    fields = [f.name for f in dataclasses.fields(cls)]
    assert fields == [c.name for c in table.columns]
    for column in table.columns:
        hint = hints[column.name]
        optional = isinstance(hint, types.UnionType) and type(None) in typing.get_args(hint)
        assert optional == bool(column.nullable), column.name


def test_the_store_hands_out_typed_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from syncd.store import Store
    from syncd.store.db import make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'state.db'}")
    migrate(engine)
    store = Store(engine)
    store.save_link(tg_user_id=5, tg_chat_id=5, tg_access_hash=1, okdesk_contact_id=7, contact_name="Иван",
                    phone=None, language="ru")
    link = store.get_link(5)
    assert isinstance(link, rows.Link) and link.okdesk_contact_id == 7
    assert store.link_by_chat(5) == link and store.links_for_contacts([7]) == [link]
    with pytest.raises(dataclasses.FrozenInstanceError):
        link.language = "en"  # type: ignore[misc]
