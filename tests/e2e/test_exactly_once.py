"""SIGKILL at every window of a delivery: each staff comment still reaches the client exactly once.

Every test first proves, from what the Telegram test server and the daemon's database show at
the moment of the kill, that the kill fell inside the window it targets; then it restarts the
daemon on the same state and counts what the client got.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Daemon
from tests.e2e.helpers import (
    db_rows,
    eventually,
    outbox,
    random_file,
    start_with_issue,
    stored_random_ids,
    texts_to,
    wait_text,
)
from tests.okdesk_emulator import Fault, Upload
from tests.tgserver.images import make_png

pytestmark = pytest.mark.e2e

DUPLICATE = "RANDOM_ID_DUPLICATE"


def start(make_daemon: Any, emu: Any, tg: Any, **overrides: dict[str, Any]) -> tuple[Daemon, Any, int]:
    return start_with_issue(make_daemon, emu, tg, "Авария на складе", **overrides)


def items(daemon: Daemon) -> list[dict[str, Any]]:
    return [r for r in outbox(daemon) if r["kind"] == "telegram"]


def restart(daemon: Daemon) -> int:
    """Start again on the same state; return where this run's Telegram log begins."""
    before = len(daemon.tg.rpc_log)
    daemon.start()
    return before


def wait_all_done(daemon: Daemon, count: int) -> None:
    run = daemon.runs
    for row in items(daemon):
        if row["state"] != "done":
            daemon.wait_event("delivered", outbox_id=row["id"], run=run, timeout=30)
    assert len(items(daemon)) == count and all(r["state"] == "done" for r in items(daemon))


def calls_since(tg: Any, start: int, method: str) -> list[str | None]:
    return [r.error for r in tg.rpc_log[start:] if r.method == method]


def count(tg: Any, user: Any, needle: str) -> int:
    return sum(needle in t for t in texts_to(tg, user))


def message_map_ids(daemon: Daemon, issue_id: int) -> list[int]:
    return [r["tg_message_id"] for r in db_rows(daemon, "SELECT tg_message_id FROM message_map WHERE okdesk_issue_id = ?"
                                                 " ORDER BY tg_message_id", issue_id)]


# Telegram's answer to sendMessage: short (updateShortSentMessage, no random_id) or full updates.
@pytest.mark.parametrize(("random_id_variant", "answer"), [("documented", "short"), ("documented", "updates"),
                                                           ("duplicate-error", "short")],
                         indirect=["random_id_variant"])
def test_kill_after_telegram_stored_a_message_before_the_daemon_recorded_it(random_id_variant, answer, make_daemon,
                                                                            emu, tg, employee) -> None:
    tg.options.send_message_answer = answer
    daemon, user, issue_id = start(make_daemon, emu, tg)
    hold = tg.hold("SendMessage")
    emu.add_comment(issue_id, "<p>ровно один раз</p>", author=("employee", employee))
    assert hold.reached.wait(15)
    daemon.kill()
    # The window: Telegram stored the message, its answer never reached the daemon.
    (msg,) = wait_text(tg, user, "ровно один раз")
    assert hold.dropped.wait(5) and not hold.delivered.is_set()
    (row,) = items(daemon)
    assert (row["state"], row["progress"]) == ("pending", 0)
    assert msg.random_id == row["random_ids"][0]  # Telegram got the random_id stored before the send

    begin = restart(daemon)
    wait_all_done(daemon, 1)
    assert count(tg, user, "ровно один раз") == 1
    resent = calls_since(tg, begin, "SendMessage")
    (row,) = items(daemon)
    if random_id_variant == "documented":
        # The resend carried the same random_id; Telegram answered with the message it already had,
        # and the daemon recorded its id: a reply to it is a comment on the issue.
        assert resent == [None] and [r.message_ids for r in tg.replays] == [[msg.id]]
        assert json.loads(row["tg_message_ids"]) == [msg.id] and msg.id in message_map_ids(daemon, issue_id)
    else:
        # Every repeat answered RANDOM_ID_DUPLICATE: asked again for telegram.in_flight_window, then taken
        # as delivered (no message id to keep).
        assert set(resent) == {DUPLICATE} and len(resent) >= 2
        assert daemon.find("random_id_duplicate_taken_as_delivered", run=daemon.runs)
    daemon.wait_cycles(3)
    assert count(tg, user, "ровно один раз") == 1


@pytest.mark.parametrize("repeat_first", [False, True], ids=["blocked-answered-first", "repeat-answered-first"])
def test_a_message_telegram_stored_before_the_client_blocked_the_bot_arrives_once(repeat_first, make_daemon, emu,
                                                                                 tg, employee) -> None:
    """Killed after Telegram stored the message; the client blocks the bot meanwhile. Whether Telegram
    answers the repeat with the earlier message or with USER_IS_BLOCKED first is assumed: both end in
    one message."""
    tg.options.repeat_checked_first = repeat_first
    daemon, user, issue_id = start(make_daemon, emu, tg)
    hold = tg.hold("SendMessage")
    emu.add_comment(issue_id, "<p>до блокировки</p>", author=("employee", employee))
    assert hold.reached.wait(15)
    daemon.kill()
    (msg,) = wait_text(tg, user, "до блокировки")
    tg.block_user(user)
    restart(daemon)
    if not repeat_first:
        daemon.wait_event("client_blocked_bot", run=daemon.runs)
        tg.send_text(user, "разблокировал")  # writing to the bot unblocks it
    wait_all_done(daemon, 1)
    (row,) = items(daemon)
    assert json.loads(row["tg_message_ids"]) == [msg.id]
    daemon.wait_cycles(3)
    assert count(tg, user, "до блокировки") == 1


def test_a_send_in_flight_when_the_connection_drops_and_then_fails_arrives_once(random_id_variant, make_daemon, emu,
                                                                               tg, employee) -> None:
    """Telegram holds the send in flight, the connection drops, Telethon sends it again and hears
    RANDOM_ID_DUPLICATE (outcome unknown); then the first call fails having stored nothing. The daemon
    must not count the duplicate as delivered: it asks again with the same random_id."""
    daemon, user, issue_id = start(make_daemon, emu, tg, telegram={"in_flight_window": 60})
    stall = tg.stall("SendMessage")
    emu.add_comment(issue_id, "<p>в полёте</p>", author=("employee", employee))
    assert stall.reached.wait(15)
    tg.drop_connections()
    in_flight = daemon.wait_event("telegram_send_in_flight", timeout=15)
    assert in_flight["issue_id"] == issue_id
    stall.release(error="INTERNAL_SERVER_ERROR")
    assert stall.finished.wait(10) and stall.dropped.is_set()
    (msg,) = wait_text(tg, user, "в полёте")
    wait_all_done(daemon, 1)
    (row,) = items(daemon)
    assert msg.random_id == row["random_ids"][0]  # the same random_id, never a fresh one
    assert json.loads(row["tg_message_ids"]) == [msg.id]
    daemon.wait_cycles(3)
    assert count(tg, user, "в полёте") == 1
    assert not daemon.find("random_id_duplicate_taken_as_delivered")


def test_each_step_of_a_long_message_gets_its_own_in_flight_window(make_daemon, emu, tg, employee) -> None:
    """Part 1 is in flight for most of telegram.in_flight_window before Telegram stores it; then part 2's
    first send is in flight too, and fails. Part 2's window is its own: asked again, it arrives once."""
    daemon, user, issue_id = start(make_daemon, emu, tg, telegram={"in_flight_window": 3.0},
                                   sync={"per_chat_interval": 0.05})
    first = tg.stall("SendMessage")
    lines = [f"строка {n:04d}: журнал событий сервера" for n in range(300)]
    emu.add_comment(issue_id, "<p>" + "<br>".join(lines) + "</p>", author=("employee", employee))
    assert first.reached.wait(15)
    (row,) = items(daemon)
    second = tg.stall("SendMessage", where=lambda request: request.random_id == row["random_ids"][1])
    tg.drop_connections()
    daemon.wait_event("telegram_send_in_flight", timeout=15)
    time.sleep(2.5)  # most of part 1's window spent in flight
    first.release()
    daemon.wait_event("delivery_step_sent", step=1, timeout=15)
    heard = len(daemon.find("telegram_send_in_flight"))
    assert second.reached.wait(15)
    tg.drop_connections()
    eventually(lambda: len(daemon.find("telegram_send_in_flight")) > heard or daemon.find(
        "random_id_duplicate_taken_as_delivered"), what="part 2 heard as in flight")
    second.release(error="INTERNAL_SERVER_ERROR")  # part 2's first call fails: nothing stored
    wait_all_done(daemon, 1)
    parts = [s for s in tg.sent_to(user) if "строка" in (s.text or "")]
    assert [p.random_id for p in parts] == row["random_ids"]  # each part once, part 2 sent after all
    assert not daemon.find("random_id_duplicate_taken_as_delivered")


def test_kill_in_the_middle_of_an_album(random_id_variant, make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    images = [make_png(60 + n, 40) for n in range(3)]
    hold = tg.hold("SendMultiMedia")
    emu.add_comment(issue_id, "<p>фото аварии</p>", author=("employee", employee),
                    attachments=[Upload(f"{n}.png", data=d) for n, d in enumerate(images)])
    assert hold.reached.wait(15)
    daemon.kill()
    album = [s for s in tg.sent_to(user) if s.media_kind]
    assert len(album) == 3 and not hold.delivered.is_set()
    (row,) = items(daemon)
    # The text step was recorded, the album step was not: the kill fell inside the album.
    assert (row["state"], row["progress"]) == ("pending", 1)
    assert [s.random_id for s in album] == row["random_ids"][1:]

    begin = restart(daemon)
    wait_all_done(daemon, 1)
    sent = [s for s in tg.sent_to(user) if s.media_kind]
    assert sent == album  # nothing more: one album, once
    assert [s.sha256 for s in sent] == [hashlib.sha256(d).hexdigest() for d in images]
    assert len({s.grouped_id for s in sent}) == 1
    assert count(tg, user, "фото аварии") == 1
    assert calls_since(tg, begin, "SendMessage") == []  # the recorded text step is not sent again
    (row,) = items(daemon)
    if random_id_variant == "documented":
        # The whole album repeated: Telegram answers with its three messages, whose ids are kept.
        assert calls_since(tg, begin, "SendMultiMedia") == [None] and calls_since(tg, begin, "SendMedia") == []
        assert json.loads(row["tg_message_ids"])[1:] == [s.id for s in album]
    else:
        # Refused whole, then item by item, until telegram.in_flight_window ends: taken as delivered.
        assert set(calls_since(tg, begin, "SendMultiMedia")) == {DUPLICATE}
        assert set(calls_since(tg, begin, "SendMedia")) == {DUPLICATE}


# replay_used is a variant of the documented repeat only (the other variant refuses every repeat).
@pytest.mark.parametrize(("random_id_variant", "album_partial"), [("documented", "duplicate_error"),
                                                                  ("documented", "replay_used"),
                                                                  ("duplicate-error", "duplicate_error")],
                         indirect=["random_id_variant"])
def test_kill_in_the_middle_of_an_album_whose_shape_then_changes(random_id_variant, album_partial, make_daemon, emu,
                                                                 tg, employee) -> None:
    """The first try sent an album without a file Okdesk could not give; after the restart the file
    is there: the resent album holds used random_ids, and the new file must still arrive, once.
    What Telegram does with such an album is undocumented: both variants of the server are tried."""
    tg.options.album_partial_repeat = album_partial
    daemon, user, issue_id = start(make_daemon, emu, tg)
    probe = emu.add_issue_attachment(emu.add_issue("Чужая"), Upload("probe.txt", data=b"probe"))
    # Attachment ids are sequential: the comment's second file is probe + 2.
    emu.add_fault(Fault(kind="status", status=404, path=rf"/attachments/{probe + 2}$", times=None))
    images = [make_png(70 + n, 40) for n in range(3)]
    hold = tg.hold("SendMultiMedia")
    emu.add_comment(issue_id, "<p>три фото</p>", author=("employee", employee),
                    attachments=[Upload(f"{n}.png", data=d) for n, d in enumerate(images)])
    assert hold.reached.wait(15)
    daemon.kill()
    album = [s for s in tg.sent_to(user) if s.media_kind]
    (row,) = items(daemon)
    assert [s.random_id for s in album] == [row["random_ids"][1], row["random_ids"][3]]
    assert row["progress"] == 1 and count(tg, user, "не удалось получить") == 0
    emu.clear_faults()

    begin = restart(daemon)
    wait_all_done(daemon, 1)
    sent = [s for s in tg.sent_to(user) if s.media_kind]
    assert [s.sha256 for s in sent] == [hashlib.sha256(images[i]).hexdigest() for i in (0, 2, 1)]
    assert sent[2].random_id == row["random_ids"][2] and sent[2].grouped_id is None
    assert count(tg, user, "не удалось получить") == 0
    multi, single = calls_since(tg, begin, "SendMultiMedia"), calls_since(tg, begin, "SendMedia")
    if random_id_variant == "duplicate-error":
        assert set(multi) == {DUPLICATE} and single[:3] == [DUPLICATE, None, DUPLICATE]
        assert set(single[3:]) <= {DUPLICATE}
    elif album_partial == "duplicate_error":
        # Refused whole; item by item the two Telegram has are replayed and the new one is sent.
        assert multi == [DUPLICATE] and single == [None, None, None] and len(tg.replays) == 2
        (row,) = items(daemon)
        assert sorted(json.loads(row["tg_message_ids"])[1:]) == sorted(s.id for s in sent)
    else:
        assert multi == [None] and single == []
        (row,) = items(daemon)
        assert sorted(json.loads(row["tg_message_ids"])[1:]) == sorted(s.id for s in sent)


def test_kill_in_the_middle_of_a_50_mb_upload(make_daemon, emu, tg, employee, tmp_path: Path) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    big = tmp_path / "archive.bin"
    sha = random_file(big, 50)
    parts_before = len(tg.rpc_calls("SaveBigFilePart"))
    emu.add_comment(issue_id, "<p>выгрузка базы</p>", author=("employee", employee),
                    attachments=[Upload("выгрузка базы.zip", path=big)])
    tg.wait_for(lambda: len(tg.rpc_calls("SaveBigFilePart")) >= parts_before + 20, timeout=30)
    daemon.kill()
    # The window: parts were arriving, the file was never used in a message.
    parts = len(tg.rpc_calls("SaveBigFilePart")) - parts_before
    assert 20 <= parts < 400  # 50 MB goes in 400 parts of 128 KB
    assert not tg.rpc_calls("SendMedia") and not [s for s in tg.sent_to(user) if s.media_kind]

    begin = restart(daemon)
    wait_all_done(daemon, 1)
    (doc,) = [s for s in tg.sent_to(user) if s.media_kind]
    assert (doc.media_kind, doc.file_name, doc.size) == ("document", "выгрузка базы.zip", 50 * 1024 * 1024)
    assert doc.sha256 == sha
    assert calls_since(tg, begin, "SendMedia") == [None]
    assert count(tg, user, "выгрузка базы") == 1


def test_kill_after_the_poller_committed_and_before_any_send(make_daemon, emu, tg, employee) -> None:
    # Telegram's per-chat pace holds the second item back for seconds after the first is sent:
    # the window between its commit and its send is wide open, and nothing is even attempted.
    daemon, user, issue_id = start(make_daemon, emu, tg, sync={"per_chat_interval": 5.0})
    emu.add_comment(issue_id, "<p>первый</p>", author=("employee", employee))
    wait_text(tg, user, "первый")
    sends = len(tg.rpc_calls("SendMessage"))
    emu.add_comment(issue_id, "<p>второй</p>", author=("employee", employee))
    _wait_planned(daemon, issue_id, 2)
    daemon.kill()
    first, second = items(daemon)
    assert first["state"] == "done"
    assert (second["state"], second["progress"], second["attempts"]) == ("pending", 0, 0)
    assert len(tg.rpc_calls("SendMessage")) == sends and count(tg, user, "второй") == 0

    begin = restart(daemon)
    wait_all_done(daemon, 2)
    assert count(tg, user, "первый") == 1 and count(tg, user, "второй") == 1
    assert calls_since(tg, begin, "SendMessage") == [None]  # sent once, never a duplicate
    (msg,) = wait_text(tg, user, "второй")
    assert msg.random_id == second["random_ids"][0]


def _wait_planned(daemon: Daemon, issue_id: int, total: int) -> None:
    """Until the poller has committed ``total`` items of the issue (it logs right after the commit)."""
    def planned() -> int:
        return sum(e.get("items", 0) for e in daemon.find("deliveries_planned", issue_id=issue_id))

    for _cycle in range(50):
        if planned() >= total:
            return
        daemon.wait_cycles(1)
    raise AssertionError(f"fewer than {total} items of issue {issue_id} planned")


@pytest.mark.parametrize("window", ["between-parts", "second-part-unrecorded"])
def test_kill_inside_a_long_message_split_in_parts(window, make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg, sync={"per_chat_interval": 1.5})
    lines = [f"строка {n:04d}: журнал событий сервера" for n in range(300)]
    emu.add_comment(issue_id, "<p>" + "<br>".join(lines) + "</p>", author=("employee", employee))
    if window == "between-parts":
        daemon.wait_event("delivery_step_sent", step=1)
        daemon.kill()
        expected_stored, expected_progress = 1, 1
    else:
        daemon.wait_event("delivery_step_sent", step=1)
        hold = tg.hold("SendMessage")  # the next send is part 2, a pace interval away
        assert hold.reached.wait(10)
        daemon.kill()
        expected_stored, expected_progress = 2, 1
    (row,) = items(daemon)
    parts = [s for s in tg.sent_to(user) if "строка" in (s.text or "")]
    assert len(parts) == expected_stored and row["progress"] == expected_progress and row["state"] == "pending"
    assert len(row["random_ids"]) >= 3
    assert [p.random_id for p in parts] == row["random_ids"][:expected_stored]

    begin = restart(daemon)
    wait_all_done(daemon, 1)
    parts = [s for s in tg.sent_to(user) if "строка" in (s.text or "")]
    assert [p.random_id for p in parts] == row["random_ids"]  # each part once, in order
    joined = "".join(p.text for p in parts)
    assert all(joined.count(line) == 1 for line in lines)
    resent = calls_since(tg, begin, "SendMessage")
    # The part Telegram stored before the kill is answered with its message, not sent again.
    assert resent.count(DUPLICATE) == 0 and len(tg.replays) == (1 if window == "second-part-unrecorded" else 0)
    assert resent.count(None) == len(parts) - expected_stored + len(tg.replays)


@pytest.mark.parametrize(("error", "code"), [("MSG_WAIT_FAILED", 400), ("INTERNAL", 500)],
                         ids=["item-error", "server-error"])
def test_a_telegram_error_then_success_delivers_once(error, code, make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg)
    tg.fail_next("SendMessage", error, code=code, times=1)
    begin = len(tg.rpc_log)
    emu.add_comment(issue_id, "<p>после ошибки</p>", author=("employee", employee))
    (msg,) = wait_text(tg, user, "после ошибки")
    failed = daemon.wait_event("delivery_failed")
    assert failed["error"] == error  # Telegram's own error name, not Telethon's generic class text
    assert calls_since(tg, begin, "SendMessage") == [error, None]
    (row,) = items(daemon)
    assert msg.random_id == row["random_ids"][0]  # the retry reused the stored random_id
    daemon.wait_cycles(3)
    assert count(tg, user, "после ошибки") == 1


def test_restarted_again_and_again_while_twenty_comments_are_delivered(make_daemon, emu, tg, employee) -> None:
    daemon, user, issue_id = start(make_daemon, emu, tg, sync={"per_chat_interval": 0.15})
    texts = [f"ответ номер {n:02d}" for n in range(20)]
    for text in texts:
        emu.add_comment(issue_id, f"<p>{text}</p>", author=("employee", employee))

    def arrived() -> int:
        return sum(any(t in (s.text or "") for t in texts) for s in tg.sent_to(user))

    # Each run is killed the moment Telegram stored its k-th new message: right inside the window
    # where Telegram has it and the daemon may not have recorded it yet.
    for k in (1, 2, 1, 3):
        seen = arrived()
        if seen >= len(texts):
            break
        tg.wait_for(lambda seen=seen, k=k: arrived() >= min(seen + k, len(texts)), timeout=20)
        daemon.kill()
        daemon.start()
    tg.wait_for(lambda: arrived() >= len(texts), timeout=30)
    wait_all_done(daemon, len(texts))
    daemon.wait_cycles(3)
    got = [t for s in tg.sent_to(user) for t in texts if t in (s.text or "")]
    assert got == texts  # each exactly once, in order
    rids = [s.random_id for s in tg.sent_to(user) if any(t in (s.text or "") for t in texts)]
    assert len(set(rids)) == len(rids) and set(rids) <= stored_random_ids(daemon)
    assert daemon.runs >= 4  # killed mid-delivery at least three times


def _staff_notices(emu: Any, issue_id: int, employee: int) -> list[dict[str, Any]]:
    return [c for c in emu.get_comments(issue_id) if c["author"]["id"] == employee and not c["public"]]


def test_kill_after_okdesk_wrote_a_staff_notice_before_the_daemon_recorded_it(make_daemon, emu, tg,
                                                                              employee) -> None:
    """A POST whose answer never came is not repeated blindly: the restart finds the notice first."""
    daemon, user, issue_id = start(make_daemon, emu, tg, sync={"max_file_mb": 0.01},
                                   okdesk={"employee_id": employee})
    # Okdesk writes the comment, then never answers.
    emu.add_fault(Fault(kind="after_effect_timeout", method="POST", path=r"/comments", delay=60, times=1))
    emu.add_comment(issue_id, "<p>архив</p>", author=("employee", employee),
                    attachments=[Upload("архив.7z", data=os.urandom(50_000))])
    wait_text(tg, user, "архив.7z")
    eventually(lambda: _staff_notices(emu, issue_id, employee), what="Okdesk wrote the notice")
    # The window: Okdesk has the notice, the daemon's outbox does not say it is done.
    (notice_row,) = [r for r in outbox(daemon) if r["kind"] == "okdesk_notice"]
    assert notice_row["state"] == "unsure"  # outcome unknown: the next try looks before it posts
    daemon.kill()
    emu.clear_faults()
    restart(daemon)
    daemon.wait_event("staff_notice_found_after_unknown_outcome", run=daemon.runs, timeout=20)
    daemon.wait_cycles(4)
    assert len(_staff_notices(emu, issue_id, employee)) == 1
    assert [r["state"] for r in outbox(daemon) if r["kind"] == "okdesk_notice"] == ["done"]
