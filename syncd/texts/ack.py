"""The texts of a client's message on its way into Okdesk: received while it waits, given up, refused."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "ack_received": (
            "Мы получили ваше сообщение и передадим его в службу поддержки автоматически, как только "
            "система поддержки снова его примет. Отправлять его ещё раз не нужно."
        ),
        "post_gave_up": (
            "Нам не удалось передать это сообщение в службу поддержки: система поддержки долго не отвечала. "
            "Пожалуйста, отправьте его ещё раз позже или свяжитесь со службой поддержки другим способом{support}."
        ),
        "post_not_accepted": (
            "Система поддержки не приняла это сообщение{why}. Пожалуйста, измените его и отправьте ещё раз "
            "или свяжитесь со службой поддержки другим способом{support}."
        ),
        "why_suffix": ": {reason}",
        "refusal_too_large": "оно слишком большое",
        "refusal_too_long": "текст слишком длинный",
        "refusal_closed": "заявка закрыта для новых комментариев",
        "reason_okdesk_file_type": "система поддержки не принимает файлы этого типа",
    },
    "en": {
        "ack_received": (
            "We have received your message and will pass it on to the support desk automatically as soon "
            "as the support system accepts it again. There is no need to send it again."
        ),
        "post_gave_up": (
            "We could not pass this message on to the support desk: the support system did not answer for a "
            "long time. Please send it again later or contact the support desk another way{support}."
        ),
        "post_not_accepted": (
            "The support system did not accept this message{why}. Please change it and send it again, "
            "or contact the support desk another way{support}."
        ),
        "why_suffix": ": {reason}",
        "refusal_too_large": "it is too large",
        "refusal_too_long": "the text is too long",
        "refusal_closed": "the request is closed to new comments",
        "reason_okdesk_file_type": "the support system does not accept files of this type",
    },
}
