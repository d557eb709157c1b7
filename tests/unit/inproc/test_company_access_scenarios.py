"""Company-wide access through the daemon in the test process: a chief with it lists and comments on a
colleague's issue (marked as the company's), a clerk without it, and a client of another company, are
refused and see nothing of it."""

from __future__ import annotations

from tests.e2e.helpers import link_client, result_of, texts_to, wait_text
from tests.e2e.inbound_steps import ADDED, comment_mode
from tests.e2e.test_company_clients import NOT_YOURS, company_staff
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import MakeDaemon


def test_a_chief_sees_and_comments_on_a_colleagues_issue_a_clerk_and_an_outsider_do_not(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    ids = company_staff(emu)
    theirs = emu.add_issue("Заявка коллеги", contact_id=ids["colleague"], company_id=ids["a"])
    daemon = make_daemon().start()
    # The contacts are Okdesk's already (company_staff): each shares the phone written there.
    chief, clerk, outsider = (link_client(tg, emu, daemon, first=first, last=last, phone=phone, contact_phone=None)[0]
                              for first, last, phone in (("Анна", "Главная", "79160000001"),
                                                         ("Вера", "Простая", "79160000003"),
                                                         ("Глеб", "Чужой", "79160000004")))
    tg.send_text(chief, "📋 Мои заявки")
    (listing,) = wait_text(tg, chief, "Ваши заявки (1)")
    assert [b.text for r in listing.reply_markup.rows for b in r.buttons][0].startswith(f"🟢 🏢 #{theirs}")
    comment_mode(tg, chief, theirs)
    tg.send_text(chief, "Подтверждаю, у нас тоже")
    wait_text(tg, chief, f"{ADDED} #{theirs}")
    assert [c["content"] for c in emu.comments_by(theirs, author=("contact", ids["chief"]))] == [
        "Подтверждаю, у нас тоже"]
    for user in (clerk, outsider):
        tg.send_text(user, "📋 Мои заявки")
        wait_text(tg, user, "У вас пока нет заявок")
        probe = wait_text(tg, user, "Готово")[0]
        query = tg.press_button(user, probe.id, f"v:{theirs}".encode(), check=False)
        assert result_of(tg, user, query, NOT_YOURS) == NOT_YOURS
        assert not [t for t in texts_to(tg, user) if "Заявка коллеги" in t]
