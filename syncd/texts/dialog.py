"""A way out of every question: /cancel and the cancel buttons, a question that expired, a short thanks."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "ru": {
        "cancel_nothing": "Сейчас отменять нечего: мы ни о чём вас не спрашиваем.",
        "cancel_comment": "Отменено: комментарий к заявке #{issue_id} мы больше не ждём.",
        "cancel_remark": "Отменено: отзыв к заявке #{issue_id} мы больше не ждём.",
        "cancel_new_issue": "Отменено: новая заявка не создана.",
        "cancel_held": "Отменено: ваше сообщение не передано в службу поддержки.",
        "cancel_held_many": "Отменено: ваши сообщения ({count}) не переданы в службу поддержки.",
        # The question with buttons, as the cancel button leaves it.
        "question_cancelled": "✖ Отменено: это сообщение не передано в службу поддержки.",
        # A cancel button under a question that is over already (answered, cancelled or expired).
        "question_over": "Этот вопрос уже закрыт, отменять нечего.",
        # A press on a question that expired, and what the question says once it has.
        "question_expired": (
            "Время ответа на этот вопрос истекло, и сообщение не передано в службу поддержки. "
            "Если оно ещё нужно, отправьте его снова."
        ),
        "question_expired_mark": "⌛ Время ответа истекло: сообщение не передано в службу поддержки.",
        # A reply to the client's message whose question went unanswered.
        "held_expired": (
            "⌛ Вы не ответили на вопрос об этом сообщении в течение {minutes} мин., поэтому мы его "
            "не передали в службу поддержки. Если оно ещё нужно, отправьте его снова."
        ),
        # Before "where should this go?" for a message written after the question it answered expired.
        "expired_comment_note": (
            "⌛ Время на комментарий к заявке #{issue_id} истекло, поэтому это сообщение не добавлено в неё само."
        ),
        "expired_new_issue_note": (
            "⌛ Время на описание новой заявки истекло, поэтому заявка из этого сообщения сама не создана."
        ),
        "thanks_ack": (
            "🙂 Рады помочь! Короткие ответы вроде этого мы не передаём в службу поддержки. "
            "Чтобы добавить что-то в заявку, ответьте на сообщение о ней: смахните его влево "
            "или нажмите «Ответить»."
        ),
    },
    "en": {
        "cancel_nothing": "There is nothing to cancel: we are not asking you anything right now.",
        "cancel_comment": "Cancelled: we no longer wait for your comment on request #{issue_id}.",
        "cancel_remark": "Cancelled: we no longer wait for your remark on request #{issue_id}.",
        "cancel_new_issue": "Cancelled: no new request was created.",
        "cancel_held": "Cancelled: your message was not passed on to the support desk.",
        "cancel_held_many": "Cancelled: your messages ({count}) were not passed on to the support desk.",
        "question_cancelled": "✖ Cancelled: this message was not passed on to the support desk.",
        "question_over": "This question is closed already, there is nothing to cancel.",
        "question_expired": (
            "The time to answer this question is over, and the message was not passed on to the support desk. "
            "If it is still needed, please send it again."
        ),
        "question_expired_mark": "⌛ The time to answer is over: the message was not passed on to the support desk.",
        "held_expired": (
            "⌛ You did not answer the question about this message within {minutes} min, so we did not "
            "pass it on to the support desk. If it is still needed, please send it again."
        ),
        "expired_comment_note": (
            "⌛ The time for a comment on request #{issue_id} is over, so this message was not added to it by itself."
        ),
        "expired_new_issue_note": (
            "⌛ The time to describe a new request is over, so no request was created from this message by itself."
        ),
        "thanks_ack": (
            "🙂 Glad to help! Short replies like this one are not passed on to the support desk. "
            "To add something to a request, reply to a message about it: swipe it left "
            "or tap “Reply”."
        ),
    },
}
