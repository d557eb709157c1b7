"""The outbox payload (syncd.sync.codec): rows outlive the process, so what one version writes the next
must read, formatting included, and an operator reading the table sees the text as the client will."""

from __future__ import annotations

import json

from syncd.formatting import FormattedText
from syncd.formatting.entities import Entity
from syncd.sync.codec import delivery_payload, payload_steps, step_from_json, step_to_json
from syncd.sync.planner import Delivery, FileRef, Step

TEXT = FormattedText("Заявка #5\nсм. портал\nprint(1)", (
    Entity("bold", 0, 9),
    Entity("text_url", 14, 6, url="https://help.example.ru/issues/5"),
    Entity("pre", 21, 8, language="python"),
))
# What the outbox holds for a step of that text: the stored shape, fixed.
STORED = {
    "kind": "text",
    "text": {"text": "Заявка #5\nсм. портал\nprint(1)", "entities": [
        {"kind": "bold", "offset": 0, "length": 9},
        {"kind": "text_url", "offset": 14, "length": 6, "url": "https://help.example.ru/issues/5"},
        {"kind": "pre", "offset": 21, "length": 8, "language": "python"},
    ]},
    "buttons": [[["💬 Ответить", "c:5"]]],
}


def delivery(steps: tuple[Step, ...]) -> Delivery:
    return Delivery(dedupe_key="comment:9:chat:1", tg_chat_id=1, okdesk_issue_id=5, okdesk_comment_id=9,
                    what="comment", steps=steps)


def test_links_and_code_languages_survive_the_outbox() -> None:
    step = Step("text", TEXT, buttons=((("💬 Ответить", "c:5"),),))
    assert step_to_json(step) == STORED
    assert step_from_json(STORED) == step
    files = Step("album", files=(FileRef(1, "a.jpg", 10, "photo"), FileRef(2, "b.jpg", None, "photo")))
    assert payload_steps(delivery_payload(delivery((step, files)))) == ("comment", 9, (step, files))


def test_a_stored_text_without_entities_reads_as_plain_text() -> None:
    step = step_from_json({"kind": "text", "text": {"text": "Добавлены файлы: 2"}})
    assert step == Step("text", FormattedText("Добавлены файлы: 2"))


def test_a_stored_row_without_its_label_reads_with_an_empty_one() -> None:
    assert payload_steps(json.dumps({"steps": [STORED]})) == ("", None, (step_from_json(STORED),))


def test_the_payload_keeps_cyrillic_and_emoji_readable() -> None:
    payload = delivery_payload(delivery((Step("text", TEXT, buttons=((("💬 Ответить", "c:5"),),)),)))
    assert "Заявка #5" in payload and "💬 Ответить" in payload and "\\u" not in payload


def test_a_step_that_replies_to_the_clients_message_keeps_it_and_older_rows_reply_to_nothing() -> None:
    step = Step("text", FormattedText("Мы получили ваше сообщение"), reply_to=4242)
    stored = step_to_json(step)
    assert stored["reply_to"] == 4242 and step_from_json(json.loads(json.dumps(stored))) == step
    assert "reply_to" not in step_to_json(Step("text", TEXT))  # rows written before it read the same
    assert step_from_json(STORED).reply_to is None
