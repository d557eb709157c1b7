"""The bot's command menu and "My requests", through the daemon in the test process: the commands registered
with Telegram in both languages (after a failure too, and not written again when current), /help with the
support contact, the list status first, and Refresh saying when nothing changed."""

from __future__ import annotations

from typing import Any

from tests.e2e.helpers import answer_to, client_with_issue, wait_text
from tests.e2e.inbound_steps import open_card
from tests.okdesk_emulator import OkdeskEmulator
from tests.tgserver import TelegramTestServer
from tests.unit.daemon_harness import MakeDaemon

COMMANDS_RU = [("new", "Новая заявка"), ("issues", "Мои заявки"), ("profile", "Профиль: ваш контакт и номер"),
               ("help", "Помощь"), ("cancel", "Отменить наш вопрос")]
COMMANDS_EN = [("new", "New request"), ("issues", "My requests"), ("profile", "Profile: your contact and number"),
               ("help", "Help"), ("cancel", "Cancel our question")]
LEGEND = "🟢 открыта или в работе, ⏸ отложена, 🏁 решена или закрыта."


def registered(tg: TelegramTestServer) -> dict[str, list[tuple[str, str]]]:
    """What Telegram holds for the default scope, by language code."""
    return {lang: [(c.command, c.description) for c in commands]
            for (scope, lang), commands in tg.bot_commands.items() if scope == "BotCommandScopeDefault"}


def test_commands_are_registered_in_both_languages_after_a_failure_and_not_written_again(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer) -> None:
    tg.fail_next("GetBotCommands", "INTERNAL", code=500)
    tg.fail_next("SetBotCommands", "FLOOD_WAIT_1", code=420)
    daemon = make_daemon().start()
    daemon.wait_event("bot_commands_registered", languages_written=3)
    assert registered(tg) == {"ru": COMMANDS_RU, "en": COMMANDS_EN, "": COMMANDS_RU}
    failures = daemon.find("bot_commands_not_registered")
    assert [f["error"] for f in failures] == ["INTERNAL", "FLOOD"]
    assert daemon.errors() == []
    # Started again: Telegram already holds the lists, nothing is written.
    writes = len(tg.rpc_calls("SetBotCommands"))
    assert daemon.stop() == 0
    daemon.start()
    eventually_current = daemon.wait_event("bot_commands_current")
    assert eventually_current["languages_written"] == 0
    assert len(tg.rpc_calls("SetBotCommands")) == writes
    assert daemon.stop() == 0
    # Another default language: only the list for other languages changes.
    english = make_daemon(telegram={"default_language": "en"}).start()
    english.wait_event("bot_commands_registered", languages_written=1)
    assert registered(tg) == {"ru": COMMANDS_RU, "en": COMMANDS_EN, "": COMMANDS_EN}


def press_refresh(tg: TelegramTestServer, user: Any, card: Any, issue_id: int) -> Any:
    return answer_to(tg, tg.press_button(user, card.id, f"r:{issue_id}".encode()))


def test_my_requests_put_the_status_first_and_refresh_says_when_nothing_changed(
        make_daemon: MakeDaemon, emu: OkdeskEmulator, tg: TelegramTestServer, employee: int) -> None:
    daemon, user, contact_id, issue_id = client_with_issue(make_daemon, emu, tg, "Не печатает принтер")
    waiting = emu.add_issue("Ждём запчасть", contact_id=contact_id, status="delayed")
    done = emu.add_issue("Заменить картридж", contact_id=contact_id, status="completed")
    daemon.wait_event("issue_followed", issue_id=done)
    tg.send_text(user, "/issues")
    (listing,) = wait_text(tg, user, "Ваши заявки (3):")
    assert listing.text == f"Ваши заявки (3):\n{LEGEND}"
    assert [b.text for row in listing.reply_markup.rows for b in row.buttons] == [
        f"⏸ #{waiting} Ждём запчасть", f"🟢 #{issue_id} Не печатает принтер", f"🏁 #{done} Заменить картридж"]
    card = open_card(tg, user, issue_id)
    assert card.text.endswith("\n\nКомментариев пока нет.")
    # Nothing new: said in the press's answer, and the card is left as it is.
    answer = press_refresh(tg, user, card, issue_id)
    assert (answer.message, answer.alert) == ("Ничего не изменилось.", False)
    assert [e for e in tg.edits if e.msg_id == card.id] == []
    emu.add_comment(issue_id, "<p>Картридж заказан</p>", author=("employee", employee))
    wait_text(tg, user, "Картридж заказан")
    answer = press_refresh(tg, user, card, issue_id)
    assert (answer.message, answer.alert) == ("Обновлено.", False)
    (edit,) = [e for e in tg.edits if e.msg_id == card.id]
    assert "\n\nПоследние комментарии:\n— " in edit.text and edit.text.endswith(": Картридж заказан")
    tg.send_text(user, "/help")
    (shown,) = wait_text(tg, user, "Что умеет этот бот")
    # Without telegram.support_contact, /help names no contact line.
    assert "Связаться со службой поддержки" not in shown.text
    assert shown.text.endswith("Ответы службы поддержки и смена статуса приходят сюда автоматически.")
    assert daemon.errors() == []
