"""The conversation's pure rules (syncd.sync.dialog): a short thanks, a question's expiry, what /cancel
cancels, and which message joins a burst; and the settings that time them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.config import ConfigError, SyncSettings, load_settings
from syncd.sync.dialog import (
    THANKS_WORDS_EN,
    THANKS_WORDS_RU,
    Cancel,
    is_small_talk,
    joins_burst,
    question_expired,
    what_cancel_cancels,
)
from syncd.sync.routing import AWAITING_COMMENT, AWAITING_NEW_ISSUE, Route, route
from syncd.texts import TEXTS

NOW = datetime(2026, 12, 8, 10, 0, tzinfo=timezone.utc)


def _until(seconds: float) -> str:
    return (NOW + timedelta(seconds=seconds)).isoformat()


# ---------------------------------------------------------------- a short thanks


@pytest.mark.parametrize("text", [
    "Спасибо!", "спасибо большое", "Большое спасибо!!!", "ок", "Ок.", "OK", "окей", "Хорошо, спасибо",
    "Спасибо, всё работает", "Понял, спасибо 🙏", "спс", "благодарю", "Thanks!", "thank you so much", "ok thx",
    "Got it, thanks", "👍", "👍👍", "🙏🏻", "❤️", "🔥🔥🔥", "👍!", "Ясно", "Спасибо за помощь!",
])
def test_a_short_thanks_or_a_nod_is_small_talk(text: str) -> None:
    assert is_small_talk(text, [])


@pytest.mark.parametrize("text", [
    "", "   ", "Да", "нет", "Всё", "Спасибо, но принтер опять не печатает", "ок, приеду в 15:00",
    "Спасибо 2", "Не работает", "thanks, but it is broken again", "Спасибо! Ещё вопрос: где счёт?",
    "???", "Ок " * 10, "спасибо " + "очень " * 20, "👍" * 20, "1", "+", "Спасибо, вот логин: ivanov",
    # An emoji that may be a complaint or a question is asked about.
    "😡", "❓", "😢", "👎", "👍😡",
])
def test_anything_more_is_a_message(text: str) -> None:
    assert not is_small_talk(text, [])


def test_a_sticker_alone_is_small_talk_with_words_or_other_files_it_is_not() -> None:
    assert is_small_talk("", ["sticker"], other_lines=["🙂"])  # its emoji, as the sticker's line
    assert is_small_talk("", ["sticker"])  # a sticker without an emoji
    assert not is_small_talk("", ["sticker"], other_lines=["😡"])  # an angry one is a message
    assert not is_small_talk("вот", ["sticker"])
    assert not is_small_talk("", ["photo"])
    assert not is_small_talk("Спасибо", ["photo"])
    assert not is_small_talk("", ["sticker", "photo"])
    assert not is_small_talk("", [], other_lines=["55.75, 37.61"])  # a location, a contact


def test_both_languages_have_their_words() -> None:
    assert {"спасибо", "ок", "благодарю"} <= THANKS_WORDS_RU and {"thanks", "ok", "thank"} <= THANKS_WORDS_EN


@given(st.text(max_size=120))
def test_any_digit_or_word_outside_the_lists_makes_a_message(text: str) -> None:
    if is_small_talk(text, []):
        assert not any(ch.isdigit() for ch in text) and len(text.strip()) <= 80


@given(st.sampled_from(sorted({"спасибо", "thanks", "ок", "ok", "благодарю"})),
       st.text(alphabet="абвгджзклмнпрстфхцчшщ", min_size=3, max_size=12))
def test_a_thanks_with_a_word_of_substance_is_a_message(thanks: str, word: str) -> None:
    if word not in THANKS_WORDS_RU:
        assert not is_small_talk(f"{thanks}, {word}", [])


def test_a_thanks_is_acknowledged_only_without_reply_context_or_a_waiting_question() -> None:
    assert route(reply_issue_id=None, dialog=None, now=NOW, small_talk=True) == Route("thanks")
    # A reply is a comment, whatever it says; so is the answer to "Comment".
    assert route(reply_issue_id=5, dialog=None, now=NOW, small_talk=True) == Route("comment", 5)
    comment = (AWAITING_COMMENT, {"issue_id": 9, "until": _until(60)})
    assert route(reply_issue_id=None, dialog=comment, now=NOW, small_talk=True) == Route(
        "comment", 9, used_dialog=True)
    creating = (AWAITING_NEW_ISSUE, {"until": _until(60)})
    assert route(reply_issue_id=None, dialog=creating, now=NOW, small_talk=True).action == "create"
    # A question that expired is forgotten with it, and the thanks is not asked about either.
    stale = (AWAITING_COMMENT, {"issue_id": 9, "until": _until(-60)})
    assert route(reply_issue_id=None, dialog=stale, now=NOW, small_talk=True) == Route("thanks", used_dialog=True)


# ---------------------------------------------------------------- questions and /cancel


def test_a_question_expires_after_its_time_and_one_never_asked_does_not() -> None:
    assert question_expired(NOW - timedelta(seconds=1), NOW)
    assert not question_expired(NOW, NOW)
    assert not question_expired(NOW + timedelta(seconds=1), NOW)
    assert not question_expired(None, NOW)


def test_cancel_names_what_waited_and_what_was_held() -> None:
    comment = (AWAITING_COMMENT, {"issue_id": 9, "until": _until(60)})
    assert what_cancel_cancels(comment, [], NOW) == Cancel("comment", 9)
    assert what_cancel_cancels(comment, [], NOW).text_keys == ("cancel_comment",)
    remark = (AWAITING_COMMENT, {"issue_id": 9, "until": _until(60), "remark": True})
    assert what_cancel_cancels(remark, [4], NOW).text_keys == ("cancel_remark", "cancel_held")
    creating = (AWAITING_NEW_ISSUE, {"until": _until(60)})
    assert what_cancel_cancels(creating, [], NOW) == Cancel("new_issue")
    assert what_cancel_cancels(None, [7, 3], NOW) == Cancel(jobs=(3, 7))
    assert what_cancel_cancels(None, [7, 3], NOW).text_keys == ("cancel_held_many",)
    # An expired question is over already: nothing of it to cancel.
    stale = (AWAITING_COMMENT, {"issue_id": 9, "until": _until(-1)})
    assert what_cancel_cancels(stale, [], NOW).nothing
    assert what_cancel_cancels(None, [], NOW).text_keys == ("cancel_nothing",)
    assert what_cancel_cancels(("awaiting_name", {}), [], NOW).nothing  # a linking step is not ours


def test_every_answer_to_cancel_exists_in_both_languages() -> None:
    for waiting in ("comment", "remark", "new_issue"):
        for lang in ("ru", "en"):
            for key in Cancel(waiting, 1, (1, 2)).text_keys + Cancel(waiting, 1, (1,)).text_keys:
                assert key in TEXTS[lang]


# ---------------------------------------------------------------- bursts


@given(st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100),
       st.floats(min_value=0, max_value=30), st.booleans())
def test_a_burst_takes_what_follows_closely_and_never_a_reply(last: float, gap: float, window: float,
                                                               replied: bool) -> None:
    joined = joins_burst(last_at=last, now=last + gap, window=window, replied=replied)
    assert joined == (not replied and window > 0 and (last + gap) - last <= window)


def test_comment_window_is_the_older_name_of_the_wait_for_a_message() -> None:
    assert SyncSettings().message_wait == SyncSettings().question_ttl == 3600
    assert SyncSettings(comment_window=60).message_wait == 60
    assert SyncSettings().burst_window > 0


def test_the_question_settings_are_checked_and_the_older_name_still_loads(tmp_path: Path) -> None:
    env = {"SYNCD_OKDESK_URL": "https://acme.okdesk.ru", "SYNCD_OKDESK_API_TOKEN": "tok",
           "SYNCD_TELEGRAM_API_ID": "1", "SYNCD_TELEGRAM_API_HASH": "hash", "SYNCD_TELEGRAM_BOT_TOKEN": "1:bot"}
    cfg = tmp_path / "c.toml"
    cfg.write_text("[sync]\nquestion_ttl = 0\nburst_window = -1\ncomment_window = 0\n")
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, env)
    assert "sync.question_ttl must be greater than 0" in str(err.value)
    assert "sync.comment_window must be greater than 0" in str(err.value)  # else every prompt ends at once
    assert "sync.burst_window must not be negative" in str(err.value)
    cfg.write_text("[sync]\ncomment_window = 600\nburst_window = 0\n")
    sync = load_settings(cfg, env).sync
    assert (sync.message_wait, sync.question_ttl, sync.burst_window) == (600, 3600, 0)
