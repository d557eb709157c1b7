"""What staff's actions in Okdesk tell the client: an issue created for them, a finished issue and its
rating in one message, and what a bad rating offers (reopen, or say what went wrong)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "issue_created_for_you": "📋 Для вас создана заявка #{issue_id} «{title}».",
        # {status}: Okdesk's own name of the status, e.g. «решена».
        "issue_finished": "🏁 Заявка #{issue_id} «{title}»: {status}.",
        "rate_ask": "Оцените, пожалуйста, нашу работу:",
        "bad_rate_followup": (
            "Жаль, что мы вас подвели. Что пошло не так? Напишите одним сообщением, и мы добавим его "
            "к заявке #{issue_id}.\n\nЕсли проблема не решена, заявку можно возобновить."
        ),
        "bad_remark_button": "✍️ Рассказать, что не так",
        "reopened_by_button": "🔄 Заявка #{issue_id} возобновлена: служба поддержки снова займётся ею.",
        "reopen_unavailable": "Заявку #{issue_id} сейчас нельзя возобновить.",
        "reopen_already_open": "Заявка #{issue_id} уже открыта.",
    },
    "en": {
        "issue_created_for_you": "📋 A request has been created for you: #{issue_id} “{title}”.",
        "issue_finished": "🏁 Request #{issue_id} “{title}”: {status}.",
        "rate_ask": "Please rate our work:",
        "bad_rate_followup": (
            "We are sorry we let you down. What went wrong? Write it in one message, and we will add it "
            "to request #{issue_id}.\n\nIf the problem is not solved, you can reopen the request."
        ),
        "bad_remark_button": "✍️ Tell us what went wrong",
        "reopened_by_button": "🔄 Request #{issue_id} is reopened: the support desk will take it up again.",
        "reopen_unavailable": "Request #{issue_id} cannot be reopened now.",
        "reopen_already_open": "Request #{issue_id} is already open.",
    },
}
