"""A client's files wait out an Okdesk outage longer than a Telegram file_reference lives, and still land.

Telegram's file references expire (core.telegram.org/api/file_reference); the test server gives them
a one-second life here. The daemon keeps the message's media from when it arrived, so by the time
Okdesk answers again its reference is stale: the file must be fetched with a fresh one (the message
fetched again), never lost, and the comment posted exactly once.
"""

from __future__ import annotations

import random

import pytest

from tests.e2e.helpers import eventually, sha, start_with_issue, texts_to, wait_text
from tests.e2e.inbound_steps import ADDED, open_card
from tests.okdesk_emulator import Fault
from tests.tgserver.images import make_png

pytestmark = pytest.mark.e2e


def test_a_photo_and_a_document_outlive_their_file_references_through_an_okdesk_outage(make_daemon, emu,
                                                                                         tg) -> None:
    daemon, user, issue_id = start_with_issue(make_daemon, emu, tg, "Сканер не видит сеть")
    contact_id = emu.get_issue(issue_id)["contact"]["id"]
    card = open_card(tg, user, issue_id)
    tg.options.file_reference_ttl = 1.0
    # Okdesk down for every issue read: the job stops at its first step, before fetching any file.
    outage = emu.add_fault(Fault(kind="status", status=503, path=r"/issues/\d+/?$", method="GET", times=None))
    photo, document = make_png(160, 120), random.Random(7).randbytes(1_300_000)  # three download parts
    tg.send_album(user, [dict(kind="photo", data=photo, caption="Экран с ошибкой", reply_to=card.id),
                         dict(kind="document", data=document, file_name="Журнал сканера.log")])
    eventually(lambda: outage.hits >= 3 and len(daemon.find("inbound_retry")) >= 3, timeout=20,
               what="the job retried through the outage")
    daemon.wait_event("inbound_retry", timeout=10)  # (the outage has now outlived the references)
    assert not tg.rpc_calls("GetFile")  # nothing fetched yet: the references went stale unused
    emu.clear_faults()

    wait_text(tg, user, f"{ADDED} #{issue_id}")
    daemon.wait_cycles(2)
    (comment,) = emu.comments_by(issue_id, author=("contact", contact_id))
    assert sorted(a["sha256"] for a in comment["attachments"]) == sorted([sha(photo), sha(document)])
    assert comment["content"].startswith("Экран с ошибкой")
    assert sum(ADDED in t for t in texts_to(tg, user)) == 1
    # The stale references were refused, and the files fetched again with fresh ones.
    assert any(r.error == "FILE_REFERENCE_EXPIRED" for r in tg.rpc_calls("GetFile"))
    assert len(daemon.find("inbound_file_reference_renewed")) >= 2
    assert not daemon.find("inbound_files_given_up")
