"""Writing on a completed or closed issue: reopen it, or a new one."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "finished_ask_reopen": (
            "Заявка #{issue_id} «{title}» в статусе «{status}». Что сделать с вашим сообщением?\n\n"
            "• Возобновить заявку — она снова станет открытой, сообщение добавится комментарием.\n"
            "• Создать новую заявку из сообщения.\n"
            "• Просто добавить комментарий, не возобновляя."
        ),
        "finished_ask": (
            "Заявка #{issue_id} «{title}» в статусе «{status}», возобновить её уже нельзя. "
            "Что сделать с вашим сообщением?\n\n"
            "• Создать новую заявку из сообщения.\n"
            "• Просто добавить комментарий, статус заявки не изменится."
        ),
        "reopen_button": "🔄 Возобновить заявку",
        "new_from_finished_button": "🆕 Создать новую заявку",
        "as_comment_button": "💬 Просто комментарий",
        "reopened_comment_added": "🔄 Заявка #{issue_id} возобновлена, ваш комментарий добавлен.",
        "reopen_refused_comment_added": (
            "💬 Заявку #{issue_id} не удалось возобновить, но ваш комментарий добавлен: служба поддержки его увидит."
        ),
    },
    "en": {
        "finished_ask_reopen": (
            "Request #{issue_id} “{title}” has the status “{status}”. What should happen to your message?\n\n"
            "• Reopen the request: it becomes open again, and the message is added as a comment.\n"
            "• Create a new request from the message.\n"
            "• Just add a comment without reopening."
        ),
        "finished_ask": (
            "Request #{issue_id} “{title}” has the status “{status}” and can no longer be reopened. "
            "What should happen to your message?\n\n"
            "• Create a new request from the message.\n"
            "• Just add a comment; the request's status stays as it is."
        ),
        "reopen_button": "🔄 Reopen the request",
        "new_from_finished_button": "🆕 Create a new request",
        "as_comment_button": "💬 Just a comment",
        "reopened_comment_added": "🔄 Request #{issue_id} is reopened, and your comment is added.",
        "reopen_refused_comment_added": (
            "💬 Request #{issue_id} could not be reopened, but your comment is added: the support desk will see it."
        ),
    },
}
