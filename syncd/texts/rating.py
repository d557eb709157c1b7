"""Rating a completed issue and the remark after it."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        # Words with the emoji: an emoji alone reads differently to different people.
        "rate_bad": "👎 Плохо",
        "rate_normal": "👌 Нормально",
        "rate_good": "👍 Отлично",
        "rate_sending": "⏳ Отправляем оценку…",
        "rate_thanks": "Спасибо за оценку!",
        "rate_thanks_later": "Спасибо за оценку заявки #{issue_id}! Ваша оценка: {rate}",
        "rate_given": "Ваша оценка: {rate}",
        "rate_already": "Заявка уже оценена: {rate}",
        "rate_in_progress": "Оценка уже отправляется, спасибо!",
        "rate_not_completed": "Заявка сейчас не решена, оценить её нельзя.",
        "rate_refused": "Система поддержки не приняла оценку. Пожалуйста, попробуйте позже.",
        "rate_refused_later": "Система поддержки не приняла оценку заявки #{issue_id}.",
        "rate_pending": "Связь с системой поддержки прервалась. Мы проверим, дошла ли оценка, и сообщим вам.",
        "remark_button": "✍️ Добавить отзыв",
        "ask_remark": "Напишите отзыв к заявке #{issue_id} одним сообщением.",
    },
    "en": {
        "rate_bad": "👎 Bad",
        "rate_normal": "👌 OK",
        "rate_good": "👍 Great",
        "rate_sending": "⏳ Sending your rating…",
        "rate_thanks": "Thank you for the rating!",
        "rate_thanks_later": "Thank you for rating request #{issue_id}! Your rating: {rate}",
        "rate_given": "Your rating: {rate}",
        "rate_already": "This request is already rated: {rate}",
        "rate_in_progress": "Your rating is being sent, thank you!",
        "rate_not_completed": "This request is not resolved now, so it cannot be rated.",
        "rate_refused": "The support system did not accept the rating. Please try again later.",
        "rate_refused_later": "The support system did not accept the rating of request #{issue_id}.",
        "rate_pending": "The connection to the support system broke. We will check whether the rating arrived and let you know.",
        "remark_button": "✍️ Add a remark",
        "ask_remark": "Write your remark on request #{issue_id} in one message.",
    },
}
