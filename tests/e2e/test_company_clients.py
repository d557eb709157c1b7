"""Company clients: linking by INN (checked before Okdesk is asked), the company's service objects as
buttons, issues that carry both, company-wide access to colleagues' issues, the company in the profile;
through `syncd run`."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.e2e.conftest import Daemon
from tests.e2e.helpers import (
    db_rows,
    eventually,
    link_client,
    press,
    result_of,
    texts_to,
    wait_baseline,
    wait_text,
)
from tests.e2e.inbound_steps import (
    ADDED,
    CREATED,
    button_texts,
    callback_data,
    comment_mode,
    new_issue_mode,
)
from tests.tgserver.limits import callback_data as button_data

pytestmark = pytest.mark.e2e

INN = "7707083893"
OTHER_INN = "7736207543"
PHONE = "79161234567"
ASK_COMPANY = "Вы обращаетесь от имени компании?"
ASK_INN = "Напишите ИНН компании"
ASK_NAME = "Как вас зовут?"
STALE = "Этот выбор уже не действует. Отправьте /start, чтобы начать заново."
NOT_YOURS = "Эта заявка вам недоступна."


def link_row(daemon: Daemon, tg_user_id: int) -> sqlite3.Row | None:
    return next(iter(db_rows(daemon, "SELECT * FROM links WHERE tg_user_id = ?", tg_user_id)), None)


def share_unknown_phone(tg: Any, user: Any, phone: str = PHONE, ask: str = ASK_COMPANY) -> Any:
    """The client shares a phone no contact has: the company question, with its two buttons."""
    tg.send_contact(user, phone=phone, first_name=user.first_name, last_name=user.last_name, user_id=user.id)
    (question,) = wait_text(tg, user, ask)
    assert callback_data(question) == [b"cy", b"cn"]
    return question


def as_company(tg: Any, user: Any) -> Any:
    """The unknown phone shared, "yes, a company" pressed: the INN is asked. Returns the question."""
    question = share_unknown_phone(tg, user)
    tg.press_button(user, question.id, b"cy")
    wait_text(tg, user, ASK_INN)
    return question


def buttons_removed(tg: Any, msg_id: int) -> bool:
    return any(e.msg_id == msg_id and e.reply_markup is None for e in tg.edits)


def companies_asked(emu: Any) -> int:
    return emu.count_requests(r"/companies")


def created_contact(emu: Any, last_name: str) -> dict[str, Any]:
    return eventually(lambda: next((c for c in emu.get_contacts() if c["last_name"] == last_name), None),
                      what=f"contact {last_name}")


def new_issue(tg: Any, emu: Any, user: Any, contact_id: int, text: str) -> dict[str, Any]:
    new_issue_mode(tg, user)
    tg.send_text(user, text)
    wait_text(tg, user, CREATED)
    return eventually(lambda: next((i for i in emu.issues_of_contact(contact_id) if i["title"] == text), None),
                      what="the new issue")


def test_company_client_picks_a_service_object_and_their_issues_carry_it(make_daemon, emu, tg) -> None:
    company = emu.add_company("ООО Ромашка", inn=INN)
    office = emu.add_maintenance_entity(company, "Офис на Ленина")
    store = emu.add_maintenance_entity(company, "Склад")
    other = emu.add_company("ООО Лютик", inn=OTHER_INN)
    foreign = emu.add_maintenance_entity(other, "Чужой офис")
    daemon = make_daemon().start()
    user = tg.add_user(first_name="Анна", last_name="Иванова", phone=PHONE, lang_code="ru")
    question = as_company(tg, user)
    assert eventually(lambda: buttons_removed(tg, question.id), what="the question's buttons gone")
    # The dialog survives a restart.
    assert daemon.stop() == 0
    daemon.start()
    tg.send_text(user, "77 0708 3893")
    (pick,) = wait_text(tg, user, "Выберите объект обслуживания")
    assert "ООО Ромашка" in pick.text
    assert callback_data(pick) == [f"me:{office}".encode(), f"me:{store}".encode(), b"me:0"]
    assert companies_asked(emu) == 1  # one filtered request, no walk over the companies
    # A choice that was not offered (another company's object) is refused and creates nothing.
    answer = press(tg, user, pick.id, f"me:{foreign}".encode())
    assert answer.alert and answer.message == STALE
    daemon.wait_event("company_choice_refused", verb="entity")
    tg.press_button(user, pick.id, f"me:{store}".encode())
    (ask,) = wait_text(tg, user, ASK_NAME)
    assert [b.text for row in ask.reply_markup.rows for b in row.buttons] == ["Иванова Анна"]
    assert eventually(lambda: buttons_removed(tg, pick.id), what="the objects' buttons gone")
    # A second press of the old buttons is stale: the step is over.
    answer = press(tg, user, pick.id, f"me:{office}".encode())
    assert answer.alert and answer.message == STALE
    tg.send_text(user, "Иванова Анна Петровна")
    wait_text(tg, user, "Готово! Вы подключены как")
    contact = created_contact(emu, "Иванова")
    assert contact["company_id"] == company and contact["maintenance_entity_ids"] == [store]
    assert len(emu.get_contacts()) == 1
    row = link_row(daemon, user.id)
    assert row["okdesk_contact_id"] == contact["id"]
    assert (row["okdesk_company_id"], row["okdesk_maintenance_entity_id"]) == (company, store)
    # Her issues carry the company and the service object.
    issue = new_issue(tg, emu, user, contact["id"], "Не работает касса")
    assert issue["company_id"] == company and issue["service_object_id"] == store
    # The profile names the company, as Okdesk has it now.
    tg.send_text(user, "👤 Профиль")
    (profile,) = wait_text(tg, user, "Ваш профиль")
    assert profile.text.splitlines()[:3] == ["Ваш профиль", "Имя: Иванова Анна Петровна", "Компания: ООО Ромашка"]
    assert companies_asked(emu) == 2  # the profile's GET /companies/?id=
    assert daemon.errors() == []


def test_a_wrong_inn_is_caught_before_okdesk_and_an_unknown_one_offers_the_private_way(make_daemon, emu,
                                                                                      tg) -> None:
    emu.add_company("ООО Ромашка", inn=INN)
    daemon = make_daemon(telegram={"support_contact": "+7 495 123-45-67"}).start()
    user = tg.add_user(first_name="Олег", last_name="Сидоров", phone=PHONE, lang_code="ru")
    tg.press_button(user, share_unknown_phone(tg, user).id, b"cy")
    wait_text(tg, user, ASK_INN)
    for typo in ("7707083894", "770708389", "ИНН 7707083893", "5001007322590"):
        tg.send_text(user, typo)
    wait_text(tg, user, "Это не похоже на ИНН", count=4)
    assert companies_asked(emu) == 0
    tg.send_text(user, "500100732259")  # a valid INN (an entrepreneur's 12 digits) no company has
    (missing,) = wait_text(tg, user, "Мы не нашли компанию с ИНН 500100732259")
    assert "+7 495 123-45-67" in missing.text and callback_data(missing) == [b"cn"]
    assert companies_asked(emu) == 1
    # The INN may be typed again, or the client goes on as a private person.
    tg.press_button(user, missing.id, b"cn")
    wait_text(tg, user, ASK_NAME)
    tg.send_text(user, "Сидоров Олег")
    wait_text(tg, user, "Готово")
    contact = created_contact(emu, "Сидоров")
    assert contact["company_id"] is None and contact["maintenance_entity_ids"] == []
    row = link_row(daemon, user.id)
    assert (row["okdesk_company_id"], row["okdesk_maintenance_entity_id"]) == (None, None)
    assert companies_asked(emu) == 1


def test_a_company_without_service_objects_skips_the_step(make_daemon, emu, tg) -> None:
    company = emu.add_company("ИП Петров", parameters={"inn_code": "500100732259"})
    make_daemon(okdesk={"company_inn_parameter": "inn_code"}).start()
    user = tg.add_user(first_name="Пётр", last_name="Петров", phone=PHONE, lang_code="en")
    question = share_unknown_phone(tg, user, ask="on behalf of a company?")
    assert button_texts(question) == ["🏢 Yes, a company", "👤 No, a private person"]
    tg.press_button(user, question.id, b"cy")
    wait_text(tg, user, "company's INN")
    tg.send_text(user, "500100732259")
    wait_text(tg, user, "Company: ИП Петров.")
    wait_text(tg, user, "What is your name? Type your last name and first name")
    assert not [t for t in texts_to(tg, user) if "service location" in t]
    tg.send_text(user, "Petrov Peter")
    wait_text(tg, user, "Done!")
    contact = created_contact(emu, "Petrov")
    assert contact["company_id"] == company and contact["maintenance_entity_ids"] == []
    issue = new_issue_en(tg, emu, user, contact["id"], "Printer is broken")
    assert issue["company_id"] == company and issue["service_object_id"] is None


def new_issue_en(tg: Any, emu: Any, user: Any, contact_id: int, text: str) -> dict[str, Any]:
    tg.send_text(user, "/new")
    wait_text(tg, user, "Describe")
    tg.send_text(user, text)
    wait_text(tg, user, "✅")
    return eventually(lambda: next((i for i in emu.issues_of_contact(contact_id) if i["title"] == text), None),
                      what="the new issue")


def test_no_is_the_private_person_flow_and_asks_okdesk_nothing_of_companies(make_daemon, emu, tg) -> None:
    emu.add_company("ООО Ромашка", inn=INN)
    daemon = make_daemon().start()
    user = tg.add_user(first_name="Ольга", last_name="Новикова", phone=PHONE, lang_code="ru")
    question = share_unknown_phone(tg, user)
    tg.press_button(user, question.id, b"cn")
    (ask,) = wait_text(tg, user, ASK_NAME)
    assert [b.text for row in ask.reply_markup.rows for b in row.buttons] == ["Новикова Ольга"]
    # The yes of the answered question is stale now: no INN step begins.
    answer = press(tg, user, question.id, b"cy")
    assert answer.alert and answer.message == STALE
    tg.send_text(user, "Новикова Ольга")
    wait_text(tg, user, "Готово")
    contact = created_contact(emu, "Новикова")
    assert contact["company_id"] is None
    assert companies_asked(emu) == 0 and emu.count_requests(r"/maintenance_entities") == 0
    assert link_row(daemon, user.id)["okdesk_company_id"] is None


def test_company_buttons_pressed_out_of_turn_create_nothing(make_daemon, emu, tg) -> None:
    company = emu.add_company("ООО Ромашка", inn=INN)
    entity = emu.add_maintenance_entity(company, "Офис")
    daemon = make_daemon().start()
    user = tg.add_user(first_name="Игорь", last_name="Козлов", phone=PHONE, lang_code="ru")
    tg.send_text(user, "/start")
    (greeting,) = wait_text(tg, user, "Здравствуйте")
    # Forged presses before any question: refused; the client is not linked and no contact exists.
    for data in (f"me:{entity}", "me:0", "cy", "cn"):
        answer = press(tg, user, greeting.id, data.encode())
        assert answer.alert and answer.message == STALE, data
    # At the INN step an object press is out of turn too.
    question = share_unknown_phone(tg, user)
    tg.press_button(user, question.id, b"cy")
    wait_text(tg, user, ASK_INN)
    answer = press(tg, user, question.id, f"me:{entity}".encode())
    assert answer.alert and answer.message == STALE
    assert emu.get_contacts() == [] and link_row(daemon, user.id) is None
    assert companies_asked(emu) == 0
    # Text under a question with buttons asks it again.
    tg.send_text(user, INN)
    (pick,) = wait_text(tg, user, "Выберите объект обслуживания")
    tg.send_text(user, "Офис, наверное")
    (again,) = wait_text(tg, user, "выберите вариант кнопкой")
    assert callback_data(again) == callback_data(pick)
    assert emu.get_contacts() == []


# ---------------------------------------------------------------- company-wide access


def company_staff(emu: Any) -> dict[str, int]:
    """Company A: a chief with company-wide access (on one service object), a colleague, a clerk without
    that access; company B: an outsider with company-wide access to B."""
    a, b = emu.add_company("ООО Ромашка", inn=INN), emu.add_company("ООО Лютик", inn=OTHER_INN)
    office = emu.add_maintenance_entity(a, "Офис")
    ids = {"a": a, "b": b, "office": office}
    ids["chief"] = emu.add_contact("Анна", "Главная", phone="+79160000001", company_id=a,
                                   access_level=["company_issues"], maintenance_entity_ids=[office])
    ids["colleague"] = emu.add_contact("Борис", "Коллега", phone="+79160000002", company_id=a)
    ids["clerk"] = emu.add_contact("Вера", "Простая", phone="+79160000003", company_id=a)
    ids["outsider"] = emu.add_contact("Глеб", "Чужой", phone="+79160000004", company_id=b,
                                      access_level=["company_issues", "allow_close_company_issues"])
    return ids


def test_company_wide_access_opens_colleagues_issues_and_nothing_more(make_daemon, emu, tg) -> None:
    ids = company_staff(emu)
    theirs = emu.add_issue("Заявка коллеги", contact_id=ids["colleague"], company_id=ids["a"])
    daemon = make_daemon().start()
    chief, _ = link_client(tg, emu, daemon, first="Анна", last="Главная", phone="79160000001", contact_phone=None)
    clerk, _ = link_client(tg, emu, daemon, first="Вера", last="Простая", phone="79160000003", contact_phone=None)
    outsider, _ = link_client(tg, emu, daemon, first="Глеб", last="Чужой", phone="79160000004",
                              contact_phone=None)
    requester, _ = link_client(tg, emu, daemon, first="Борис", last="Коллега", phone="79160000002",
                               contact_phone=None)
    wait_baseline(daemon, theirs)
    # Linked by phone: the contact's company, and its only service object, are kept for new issues.
    row = link_row(daemon, chief.id)
    assert (row["okdesk_company_id"], row["okdesk_maintenance_entity_id"]) == (ids["a"], ids["office"])
    assert (link_row(daemon, outsider.id)["okdesk_company_id"], link_row(daemon, outsider.id)[
        "okdesk_maintenance_entity_id"]) == (ids["b"], None)
    own = new_issue(tg, emu, chief, ids["chief"], "Моя заявка")
    assert own["company_id"] == ids["a"] and own["service_object_id"] == ids["office"]
    # Staff move her service objects: the next issue goes by what Okdesk says now, not by the link.
    hall = emu.add_maintenance_entity(ids["a"], "Зал")
    emu.update_contact(ids["chief"], maintenance_entity_ids=[hall])
    moved = new_issue(tg, emu, chief, ids["chief"], "Заявка из зала")
    assert moved["company_id"] == ids["a"] and moved["service_object_id"] == hall
    # My issues: her own, and her colleague's marked as the company's.
    tg.send_text(chief, "📋 Мои заявки")
    (listing,) = wait_text(tg, chief, "Ваши заявки (3)")
    labels = {button_data(b): b.text for r in listing.reply_markup.rows for b in r.buttons}
    assert labels[f"v:{theirs}".encode()] == f"🟢 🏢 #{theirs} Заявка коллеги"
    assert labels[f"v:{own['id']}".encode()] == f"🟢 #{own['id']} Моя заявка"
    assert listing.text.splitlines()[-1] == "🏢 заявка вашей компании, созданная не вами."
    # The card opens, and a comment on it is posted as hers.
    comment_mode(tg, chief, theirs)
    tg.send_text(chief, "Подтверждаю, у нас тоже")
    wait_text(tg, chief, f"{ADDED} #{theirs}")
    assert [c["content"] for c in emu.comments_by(theirs, author=("contact", ids["chief"]))] == [
        "Подтверждаю, у нас тоже"]
    # The issue's own requester reads her words in Telegram, as any comment on his issue.
    (echo,) = wait_text(tg, requester, "Подтверждаю, у нас тоже")
    assert echo.text.startswith(f"Заявка #{theirs} «Заявка коллеги»\nГлавная Анна:")
    # Without company-wide access, or with it for another company: refused, and nothing is shown.
    for user in (clerk, outsider):
        tg.send_text(user, "📋 Мои заявки")
        wait_text(tg, user, "У вас пока нет заявок")
        probe = wait_text(tg, user, "Готово")[0]
        for data in (f"v:{theirs}", f"c:{theirs}", f"p:{theirs}"):
            # A company's client: only Okdesk tells (after the press was answered), in a message.
            query = tg.press_button(user, probe.id, data.encode(), check=False)
            assert result_of(tg, user, query, NOT_YOURS) == NOT_YOURS, (user.id, data)
    assert len(emu.get_comments(theirs)) == 1
    for user in (clerk, outsider):
        assert not [t for t in texts_to(tg, user) if "Заявка коллеги" in t]
    # The answer reaches the client before the daemon's log line reaches us: the log is waited for.
    eventually(lambda: len(daemon.find("callback_refused_not_owner", issue_id=theirs)) == 6,
               what="six refusals in the log")
    assert len(daemon.find("callback_refused_not_owner", issue_id=theirs)) == 6
    # Completed, the colleague's issue takes her comment but is not hers to reopen.
    emu.set_status(theirs, "completed")
    comment_mode(tg, chief, theirs)
    tg.send_text(chief, "И ещё одно")
    (asked,) = wait_text(tg, chief, "в статусе «Решена», возобновить её уже нельзя. Что сделать с вашим сообщением?")
    assert [d.split(b":")[0] for d in callback_data(asked)] == [b"n", b"ac", b"xj"]  # no "reopen"
    forged = b"ro:" + callback_data(asked)[-1].split(b":")[1]
    answer = press(tg, chief, asked.id, forged)
    assert answer.message == "✓"
    wait_text(tg, chief, f"Заявку #{theirs} не удалось возобновить, но ваш комментарий добавлен")
    assert emu.get_issue(theirs)["status"]["code"] == "completed"
    assert emu.count_requests(rf"/issues/{theirs}/statuses", "POST") == 0


def test_a_relink_given_up_at_the_inn_ends_with_start_and_messages_are_messages_again(make_daemon, emu,
                                                                                        tg) -> None:
    daemon = make_daemon().start()
    user, contact_id = link_client(tg, emu, daemon, phone="79123456789")
    tg.send_text(user, "👤 Профиль")
    (profile,) = wait_text(tg, user, "Ваш профиль")
    tg.press_button(user, profile.id, b"rl")
    wait_text(tg, user, "Чтобы подключиться с другим номером")
    question = share_unknown_phone(tg, user, phone="79995550000")
    tg.press_button(user, question.id, b"cy")
    wait_text(tg, user, ASK_INN)
    # The client thinks better of it: /start ends the relink, they stay linked as before.
    tg.send_text(user, "/start")
    wait_text(tg, user, "Вы подключены как")
    tg.send_text(user, "Сломался принтер в бухгалтерии")
    wait_text(tg, user, "Создать заявку из этого сообщения?")  # a message again, not a wrong INN
    assert not [t for t in texts_to(tg, user) if "ИНН" in t and "неверн" in t.lower()]
    assert link_row(daemon, user.id)["okdesk_contact_id"] == contact_id
    assert companies_asked(emu) == 0
