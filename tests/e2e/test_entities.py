"""Formatting never costs a message, and a client's formatting never harms staff.

Outbound: a staff comment with more links and bold than Telegram takes in one message (at most 100
entities, of about 9500 characters in all; ENTITIES_TOO_LONG or, as reported, silently dropped past
that) still reaches the client, complete and once, every address shown. Inbound: a client's links
become links in Okdesk only with a safe scheme.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from telethon.tl import types

from tests.e2e.helpers import eventually, link_client, outbox, start_with_issue, wait_text

pytestmark = pytest.mark.e2e

LINKS = 150

# name -> (test server options, length of each bold label, extra length of each URL)
LIMIT_VARIANTS: dict[str, tuple[dict[str, Any], int, int]] = {
    # Telegram as reported: past 100 entities, ENTITIES_TOO_LONG...
    "count-refused": ({}, 0, 0),
    # ...or the entities past the 100th silently dropped.
    "count-ignored": ({"entities_over_limit": "ignore"}, 0, 0),
    # Long addresses: the size limit (9500) comes before the count.
    "size": ({}, 0, 150),
    # Telegram stricter than we know: the daemon's parts are refused and sent plainer. With 30, links
    # only (50 a part) are refused too; 25 of them stay links, the others are written out.
    "stricter-count": ({"max_entities": 30}, 0, 0),
    # Bold text is most of the size: links only fit.
    "stricter-size": ({"max_entities_size": 4000}, 60, 0),
}


def _url(i: int, extra: int) -> str:
    return f"https://kb.example.ru/a/{i}" + ("/" + "x" * extra if extra else "")


def _comment_html(bold_len: int, url_extra: int) -> str:
    lines = []
    for i in range(LINKS):
        bold = f"Пункт {i}" + (" " + "ж" * bold_len if bold_len else "")
        lines.append(f'<p><b>{bold}</b> — <a href="{_url(i, url_extra)}">статья {i}</a></p>')
    return "".join(lines)


@pytest.mark.parametrize("name", list(LIMIT_VARIANTS))
def test_a_long_link_heavy_comment_arrives_complete_once(name, make_daemon, emu, tg, employee) -> None:
    options, bold_len, url_extra = LIMIT_VARIANTS[name]
    for key, value in options.items():
        setattr(tg.options, key, value)
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Ссылки на статьи")
    emu.add_comment(issue_id, _comment_html(bold_len, url_extra), author=("employee", employee))
    daemon.wait_event("delivered", timeout=30)
    daemon.wait_cycles(3)  # nothing more comes
    (row,) = [r for r in outbox(daemon) if r["okdesk_issue_id"] == issue_id]
    assert row["state"] == "done"
    assert not daemon.find("delivery_failed") and not daemon.find("delivery_parked")
    sent = tg.sent_to(user)[-len(row["random_ids"]):]
    # Once, and each message under the random_id stored for its step before the first attempt.
    assert [m.random_id for m in sent] == row["random_ids"] and len(set(row["random_ids"])) == len(sent) > 1
    assert all(m.method == "SendMessage" for m in sent) and f"#{issue_id}" in sent[0].text
    assert sum(1 for m in tg.sent_to(user) if f"Пункт {LINKS - 1} " in (m.text or "")) == 1
    text = "".join(m.text for m in sent)
    urls = {e.url for m in sent for e in m.entities or () if isinstance(e, types.MessageEntityTextUrl)}
    for i in range(LINKS):
        assert f"Пункт {i} " in text and f"статья {i}" in text
        assert _url(i, url_extra) in urls or f"({_url(i, url_extra)})" in text, f"link {i} lost"
    bold = [e for m in sent for e in m.entities or () if isinstance(e, types.MessageEntityBold)]
    refused = daemon.find("entities_too_long")
    if name.startswith("stricter"):
        # The daemon's parts were refused, then sent with less formatting (the links kept first),
        # under the same random_id: what Telegram accepted is all there is.
        assert refused and daemon.find("formatting_reduced")
        assert len(bold) < LINKS
    else:
        # The parts were made within the limits: nothing refused, nothing dropped, every bit of bold kept.
        assert not refused and not daemon.find("formatting_reduced")
        assert len(bold) == LINKS + 1  # with the header line
        assert all(len(m.entities or ()) <= 100 for m in sent) and len(urls) == LINKS


# ---------------------------------------------------------------- client -> Okdesk


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.hrefs += [value or "" for key, value in attrs if key == "href"]


def _hrefs(html: str) -> tuple[list[str], set[str]]:
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser.hrefs, parser.tags


def _with_links(text_parts: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """Text from pieces, each plain (None) or with an entity maker taking (offset, length)."""
    text, entities = "", []
    for piece, make in text_parts:
        if make is not None:
            entities.append(make(len(text.encode("utf-16-le")) // 2, len(piece.encode("utf-16-le")) // 2))
        text += piece
    return text, entities


def _link(url: str) -> Any:
    return lambda offset, length: types.MessageEntityTextUrl(offset=offset, length=length, url=url)


DANGEROUS = ("javascript:alert(1)", " JavaScript:alert(2)", "java\tscript:alert(3)",
             "data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==", "vbscript:msgbox(5)")


def _message(tag: str) -> tuple[str, list[Any]]:
    parts: list[tuple[str, Any]] = [(f"{tag}: ", None)]
    for n, url in enumerate(DANGEROUS):
        parts += [(f"ловушка{n}", _link(url)), (" ", None)]
    parts += [
        ("инструкция", _link("https://kb.example.ru/?a=1&b=2")), (" ", None),
        ("почта", _link("mailto:help@example.ru")), (" ", None),
        ("<img src=x onerror=alert(6)>", lambda o, n: types.MessageEntityBold(offset=o, length=n)), (" ", None),
        ("javascript:alert(7)", lambda o, n: types.MessageEntityUrl(offset=o, length=n)), (" ", None),
        ("Иван", lambda o, n: types.MessageEntityMentionName(offset=o, length=n, user_id=1)),
        ("\nконец", None),
    ]
    return _with_links(parts)


def _assert_safe(html: str, tag: str) -> None:
    hrefs, tags = _hrefs(html)
    assert tags <= {"a", "strong", "br"}, tags
    assert sorted(hrefs) == ["https://kb.example.ru/?a=1&b=2", "mailto:help@example.ru"], hrefs
    for n in range(len(DANGEROUS)):
        assert f"ловушка{n}" in html  # the words of a refused link are all there
    assert "alert(1)" not in html and "msgbox" not in html and "base64" not in html
    assert "&lt;img src=x onerror=alert(6)&gt;" in html and "<img" not in html
    assert f"{tag}: " in html and "javascript:alert(7)" in html  # a bare address stays text


def test_client_links_reach_okdesk_only_with_a_safe_scheme(make_daemon, emu, tg) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon)
    tg.send_text(user, "📝 Новая заявка")
    wait_text(tg, user, "Опишите проблему")
    text, entities = _message("заявка")
    tg.send_text(user, text, entities=entities)
    (confirm,) = wait_text(tg, user, "✅ Заявка")
    (issue,) = eventually(lambda: emu.issues_of_contact(contact_id), what="issue created")
    _assert_safe(issue["description"], "заявка")
    text, entities = _message("комментарий")
    tg.send_text(user, text, entities=entities, reply_to=confirm.id)
    wait_text(tg, user, "Комментарий добавлен")
    (comment,) = emu.comments_by(issue["id"], author=("contact", contact_id))
    _assert_safe(comment["content"], "комментарий")
