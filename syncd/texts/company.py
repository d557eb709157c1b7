"""Linking a company's client: INN, company, service object."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "company_ask": "Мы не нашли вас по номеру телефона. Вы обращаетесь от имени компании?",
        "company_yes_button": "🏢 Да, от компании",
        "company_no_button": "👤 Нет, частное лицо",
        "company_private_button": "👤 Продолжить как частное лицо",
        "inn_ask": (
            "Напишите ИНН компании: 10 цифр для организации или 12 цифр для ИП. "
            "Если ИНН под рукой нет, можно продолжить как частное лицо кнопкой ниже."
        ),
        "inn_invalid": (
            "Это не похоже на ИНН: нужно 10 цифр для организации или 12 цифр для ИП, и контрольные цифры "
            "должны сходиться. Проверьте и отправьте ИНН ещё раз или продолжите как частное лицо кнопкой ниже."
        ),
        "company_not_found": (
            "Мы не нашли компанию с ИНН {inn}. Проверьте ИНН и отправьте его ещё раз "
            "или обратитесь в службу поддержки{support}. Можно продолжить и как частное лицо."
        ),
        "company_several": (
            "С этим ИНН в системе несколько компаний, и мы не можем выбрать за вас. "
            "Пожалуйста, обратитесь в службу поддержки{support}."
        ),
        "company_found": "Компания: {company}.",
        "entity_ask": "Компания: {company}.\nВыберите объект обслуживания, к которому относятся ваши обращения:",
        "entity_unknown_button": "Не знаю / другой",
        "company_name_ask": (
            "Как вас зовут? Напишите фамилию и имя, например «Петров Иван» (отчество можно добавить третьим словом)."
        ),
        "company_choice_stale": "Этот выбор уже не действует. Отправьте /start, чтобы начать заново.",
        "company_choose_above": "Пожалуйста, выберите вариант кнопкой в сообщении выше.",
    },
    "en": {
        "company_ask": "We could not find you by your phone number. Are you contacting us on behalf of a company?",
        "company_yes_button": "🏢 Yes, a company",
        "company_no_button": "👤 No, a private person",
        "company_private_button": "👤 Continue as a private person",
        "inn_ask": (
            "Please type the company's INN (taxpayer number): 10 digits for an organisation, 12 for a sole "
            "proprietor. If you do not have the INN at hand, you can continue as a private person with the button below."
        ),
        "inn_invalid": (
            "This does not look like an INN: it has 10 digits for an organisation or 12 for a sole proprietor, "
            "and its check digits must match. Please check it and send it again, or continue as a private person "
            "with the button below."
        ),
        "company_not_found": (
            "We could not find a company with INN {inn}. Please check the INN and send it again, "
            "or contact the support desk{support}. You can also continue as a private person."
        ),
        "company_several": (
            "Several companies have this INN, and we cannot choose for you. Please contact the support desk{support}."
        ),
        "company_found": "Company: {company}.",
        "entity_ask": "Company: {company}.\nPlease choose the service location your requests are about:",
        "entity_unknown_button": "Not sure / other",
        "company_name_ask": (
            "What is your name? Type your last name and first name, e.g. “Petrov Ivan” "
            "(you may add your patronymic as a third word)."
        ),
        "company_choice_stale": "This choice is no longer valid. Send /start to begin again.",
        "company_choose_above": "Please choose with a button in the message above.",
    },
}
