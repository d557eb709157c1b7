"""The texts of linking, the menu, issue cards, deliveries and staff notices."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "greeting": (
            "Здравствуйте! Это бот службы поддержки.\n\n"
            "Чтобы получать ответы по вашим заявкам, поделитесь номером телефона кнопкой ниже: "
            "по нему мы найдём вас в системе."
        ),
        "share_phone_button": "📱 Поделиться номером",
        "linked_as": "Вы подключены как {name}. Ответы службы поддержки по вашим заявкам будут приходить сюда.",
        "linked_now": "Готово! Вы подключены как {name}. Ответы службы поддержки по вашим заявкам будут приходить сюда.",
        "not_own_contact": (
            "Это не ваш номер. Пожалуйста, нажмите кнопку «Поделиться номером», "
            "чтобы отправить свой собственный контакт."
        ),
        "several_contacts": (
            "Этот номер указан у нескольких контактов, и мы не можем выбрать за вас. "
            "Пожалуйста, обратитесь в службу поддержки{support}."
        ),
        "ask_name": (
            "Мы не нашли вас по номеру телефона. Как вас зовут? Напишите фамилию и имя, например «Петров Иван» "
            "(отчество можно добавить третьим словом)."
        ),
        "name_invalid": (
            "Пожалуйста, напишите фамилию и имя буквами, например «Петров Иван» (от 2 до 100 символов)."
        ),
        "not_found_call": "Мы не нашли вас по номеру телефона. Пожалуйста, обратитесь в службу поддержки{support}.",
        "support_suffix": ": {contact}",
        "private_only": "Мы отвечаем только в личных сообщениях. Напишите боту напрямую.",
        "okdesk_unavailable": "Система поддержки сейчас недоступна. Пожалуйста, попробуйте ещё раз через несколько минут.",
        "need_link": "Сначала подключитесь: поделитесь номером телефона кнопкой ниже.",
        "issue_header": "Заявка #{issue_id} «{title}»",
        "comment_author": "{author}:",
        "files_only": "📎 Файлы: {count}",
        "files_added": "Добавлены файлы: {count}",
        "status_changed": "#{issue_id} «{title}»: {old} → {new}",
        "file_too_large": "📎 {name} ({size}) — файл слишком большой для Telegram, он доступен в заявке.",
        "file_unavailable": "📎 {name} — файл не удалось получить.",
        "menu_new": "📝 Новая заявка",
        "menu_issues": "📋 Мои заявки",
        "menu_help": "❓ Помощь",
        "menu_profile": "👤 Профиль",
        "profile": "Ваш профиль\nИмя: {name}{company}\nТелефон: {phone}",
        "profile_company": "\nКомпания: {company}",
        "profile_no_phone": "не хранится (срок хранения истёк)",
        "unlink_button": "Отвязать",
        "relink_button": "Сменить номер",
        "unlink_ask": (
            "Отвязать Telegram от вашего контакта? Бот удалит ваш номер и тексты ваших сообщений, "
            "а ответы службы поддержки перестанут сюда приходить. Заявки в системе поддержки останутся."
        ),
        "unlink_yes_button": "Да, отвязать",
        "unlink_kept": "Хорошо, Telegram остаётся подключённым.",
        "unlinked": (
            "Telegram отвязан, ваши данные в боте удалены. Чтобы подключиться снова, "
            "нажмите «Поделиться номером»."
        ),
        "relink_ask": (
            "Чтобы подключиться с другим номером, смените его в Telegram и нажмите «Поделиться номером» ниже."
        ),
        "menu_shown": "Выберите действие в меню ниже или просто напишите, что случилось.",
        "help": (
            "Что умеет этот бот:\n"
            "• «Новая заявка» (/new): опишите проблему текстом, фото, видео или файлами, и мы создадим заявку.\n"
            "• «Мои заявки» (/issues): ваши заявки и их статус; нажмите на заявку, чтобы открыть её карточку "
            "с последними комментариями.\n"
            "• «Профиль» (/profile): ваш контакт; там же можно сменить номер или отвязать Telegram.\n"
            "• Чтобы дополнить заявку, проведите влево по любому нашему сообщению о ней (или нажмите на него "
            "и выберите «Ответить») и напишите ответ. Можно и нажать «Комментировать» в карточке заявки.\n"
            "• /cancel отменяет наш вопрос, если отвечать на него не нужно.\n"
            "• Когда заявка решена, оцените работу кнопками под уведомлением. Если проблема вернулась, "
            "напишите в заявку: мы предложим возобновить её или создать новую.\n"
            "{portal}"
            "Ответы службы поддержки и смена статуса приходят сюда автоматически.{support}"
        ),
        "ask_new_issue": (
            "Опишите проблему: текст, фото, видео, файлы или альбом. Из этого будет создана заявка; "
            "несколько сообщений подряд (например, текст и фото) станут одной заявкой."
        ),
        "cancel_button": "✖ Отмена",
        "issue_created": (
            "✅ Заявка #{issue_id} «{title}» создана. Ответы службы поддержки придут сюда. "
            "Чтобы дополнить заявку, ответьте на это сообщение."
        ),
        "comment_added": "✅ Комментарий добавлен в заявку #{issue_id}.",
        "already_created": "Такая заявка уже создана: #{issue_id}.",
        "already_creating": "Такая заявка уже создаётся, подождите немного.",
        "ask_where": "Куда добавить это сообщение?",
        "add_to_button": "➕ В #{issue_id} «{title}»",
        "offer_create": "У вас нет открытых заявок. Создать заявку из этого сообщения?",
        "create_button": "📝 Создать заявку",
        "choice_taken": "Это сообщение уже обработано.",
        "not_yours": "Эта заявка вам недоступна.",
        "issues_empty": "У вас пока нет заявок. Нажмите «Новая заявка», чтобы создать первую.",
        "issues_header": "Ваши заявки ({total}):",
        "card": "Заявка #{issue_id} «{title}»\nСтатус: {status}\nСоздана: {created}",
        "card_comments": "Последние комментарии:",
        "card_no_comments": "Комментариев пока нет.",
        "comment_button": "💬 Комментировать",
        "refresh_button": "🔄 Обновить",
        "card_button": "📄 Подробнее",
        "back_button": "◀ К списку",
        "portal_button": "🌐 Открыть в портале",
        "reply_button": "💬 Ответить",
        "help_portal": (
            "• «Открыть в портале» в карточке заявки присылает одноразовую ссылку: она открывает клиентский "
            "портал службы поддержки без пароля, со всеми вашими заявками и их историей.\n"
        ),
        "portal_link": "Ссылка для входа в клиентский портал (действует {minutes} мин., один раз):",
        "portal_link_open": "🌐 Войти в портал",
        "portal_wait": "⏳ Готовим ссылку для входа…",
        "ask_comment": (
            "Напишите комментарий к заявке #{issue_id}: текст, фото, видео или файлы. "
            "Ваше следующее сообщение в течение {minutes} мин. будет добавлено в заявку; "
            "несколько сообщений подряд (например, текст и фото) станут одним комментарием."
        ),
        "files_not_attached": "⚠️ Не все файлы удалось прикрепить к заявке #{issue_id}:\n{lines}",
        "file_line": "• {name} — {reason}",
        "reason_over_limit": "файл больше {limit}",
        "reason_okdesk_too_large": "система поддержки не принимает такие большие файлы",
        "reason_okdesk_refused": "система поддержки не приняла файл",
        "reason_okdesk_down": "система поддержки не принимала файлы {minutes} мин.",
        "reason_unavailable": "файл не удалось получить из Telegram",
        "slow_down": (
            "Вы отправляете много сообщений подряд. Все они будут переданы в службу поддержки, "
            "но с небольшой задержкой."
        ),
        "kind_location": "Местоположение",
        "kind_contact": "Контакт",
        "kind_poll": "Опрос",
        "kind_dice": "Кубик",
        "kind_other": "Сообщение из Telegram",
        "contact_line": "Контакт: {contact}",
        "poll_line": "Опрос: {question}",
        "unsupported_line": "[Сообщение этого типа не поддерживается]",
        "okdesk_file_dropped": "[Файл «{name}» не прикреплён: {reason}]",
        "files_from_telegram": "Файлы из Telegram: {names}",
        "unit_b": "Б",
        "unit_kb": "КБ",
        "unit_mb": "МБ",
        "unit_gb": "ГБ",
    },
    "en": {
        "greeting": (
            "Hello! This is the support bot.\n\n"
            "To get replies on your requests here, share your phone number with the button below: "
            "we use it to find you in our support system."
        ),
        "share_phone_button": "📱 Share my phone number",
        "linked_as": "You are linked as {name}. Replies from the support desk to your requests will arrive here.",
        "linked_now": "Done! You are linked as {name}. Replies from the support desk to your requests will arrive here.",
        "not_own_contact": "This is not your own number. Please press “Share my phone number” to send your own contact.",
        "several_contacts": (
            "This number belongs to several contacts and we cannot choose for you. Please contact the support desk{support}."
        ),
        "ask_name": (
            "We could not find you by your phone number. What is your name? Type your last name and first name, "
            "e.g. “Petrov Ivan” (you may add your patronymic as a third word)."
        ),
        "name_invalid": "Please type your last name and first name in letters, e.g. “Petrov Ivan” (2 to 100 characters).",
        "not_found_call": "We could not find you by your phone number. Please contact the support desk{support}.",
        "support_suffix": ": {contact}",
        "private_only": "We answer in private chats only. Please write to the bot directly.",
        "okdesk_unavailable": "The support system is unavailable right now. Please try again in a few minutes.",
        "need_link": "Please link your account first: share your phone number with the button below.",
        "issue_header": "Request #{issue_id} “{title}”",
        "comment_author": "{author}:",
        "files_only": "📎 Files: {count}",
        "files_added": "Files added: {count}",
        "status_changed": "#{issue_id} “{title}”: {old} → {new}",
        "file_too_large": "📎 {name} ({size}) is too large for Telegram; it is available in the request.",
        "file_unavailable": "📎 {name} could not be retrieved.",
        "menu_new": "📝 New request",
        "menu_issues": "📋 My requests",
        "menu_help": "❓ Help",
        "menu_profile": "👤 Profile",
        "profile": "Your profile\nName: {name}{company}\nPhone: {phone}",
        "profile_company": "\nCompany: {company}",
        "profile_no_phone": "not kept (the retention period is over)",
        "unlink_button": "Unlink",
        "relink_button": "Change number",
        "unlink_ask": (
            "Unlink Telegram from your contact? The bot deletes your number and the texts of your messages, "
            "and replies from the support desk stop arriving here. Your requests stay in the support system."
        ),
        "unlink_yes_button": "Yes, unlink",
        "unlink_kept": "All right, Telegram stays linked.",
        "unlinked": "Telegram is unlinked and your data in the bot is deleted. To link again, press “Share my phone number”.",
        "relink_ask": "To link with another number, change it in Telegram and press “Share my phone number” below.",
        "menu_shown": "Choose from the menu below or just write what happened.",
        "help": (
            "What this bot can do:\n"
            "• “New request” (/new): describe the problem in text, photos, videos or files, and we create a request.\n"
            "• “My requests” (/issues): your requests and their status; tap a request to open its card "
            "with the latest comments.\n"
            "• “Profile” (/profile): your contact; change the number or unlink Telegram there.\n"
            "• To add to a request, swipe left on any of our messages about it (or tap it and choose “Reply”) "
            "and write your reply. You can also press “Comment” on the request's card.\n"
            "• /cancel cancels our question if you need not answer it.\n"
            "• When a request is resolved, rate the work with the buttons under the notice. If the problem "
            "comes back, write in the request: we offer to reopen it or to create a new one.\n"
            "{portal}"
            "Replies from support and status changes arrive here by themselves.{support}"
        ),
        "ask_new_issue": (
            "Describe the problem: text, photos, videos, files or an album. A request will be created from it; "
            "several messages in a row (say, a text and a photo) become one request."
        ),
        "cancel_button": "✖ Cancel",
        "issue_created": (
            "✅ Request #{issue_id} “{title}” created. Replies from the support desk will arrive here. "
            "To add to it, reply to this message."
        ),
        "comment_added": "✅ Comment added to request #{issue_id}.",
        "already_created": "This request has already been created: #{issue_id}.",
        "already_creating": "This request is being created already, please wait a moment.",
        "ask_where": "Where should this message go?",
        "add_to_button": "➕ To #{issue_id} “{title}”",
        "offer_create": "You have no open requests. Create a request from this message?",
        "create_button": "📝 Create a request",
        "choice_taken": "This message has already been handled.",
        "not_yours": "This request is not available to you.",
        "issues_empty": "You have no requests yet. Press “New request” to create one.",
        "issues_header": "Your requests ({total}):",
        "card": "Request #{issue_id} “{title}”\nStatus: {status}\nCreated: {created}",
        "card_comments": "Latest comments:",
        "card_no_comments": "No comments yet.",
        "comment_button": "💬 Comment",
        "refresh_button": "🔄 Refresh",
        "card_button": "📄 Details",
        "back_button": "◀ Back to list",
        "portal_button": "🌐 Open in portal",
        "reply_button": "💬 Reply",
        "help_portal": (
            "• “Open in portal” on a request card sends a one-time link: it opens the support desk's client "
            "portal without a password, with all your requests and their history.\n"
        ),
        "portal_link": "Sign-in link to the client portal (valid for {minutes} min, once):",
        "portal_link_open": "🌐 Sign in to the portal",
        "portal_wait": "⏳ Preparing your sign-in link…",
        "ask_comment": (
            "Write your comment on request #{issue_id}: text, photos, videos or files. "
            "Your next message within {minutes} min will be added to the request; "
            "several messages in a row (say, a text and a photo) become one comment."
        ),
        "files_not_attached": "⚠️ Some files could not be attached to request #{issue_id}:\n{lines}",
        "file_line": "• {name}: {reason}",
        "reason_over_limit": "the file is larger than {limit}",
        "reason_okdesk_too_large": "the support system does not accept files this large",
        "reason_okdesk_refused": "the support system did not accept the file",
        "reason_okdesk_down": "the support system did not accept files for {minutes} min",
        "reason_unavailable": "the file could not be retrieved from Telegram",
        "slow_down": (
            "You are sending many messages in a row. All of them will reach the support desk, with a short delay."
        ),
        "kind_location": "Location",
        "kind_contact": "Contact",
        "kind_poll": "Poll",
        "kind_dice": "Dice",
        "kind_other": "Message from Telegram",
        "contact_line": "Contact: {contact}",
        "poll_line": "Poll: {question}",
        "unsupported_line": "[This kind of message is not supported]",
        # Staff notices exist in Russian only: they are written into Okdesk, whose staff read Russian.
        "unit_b": "B",
        "unit_kb": "KB",
        "unit_mb": "MB",
        "unit_gb": "GB",
    },
}

