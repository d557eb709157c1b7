"""Examples for syncd.formatting: Okdesk HTML -> Telegram text + entities, splitting,
concatenation, outgoing HTML.  Expected values are exact: text and every entity."""

from __future__ import annotations

import pytest

from syncd.formatting import (
    Entity,
    FormattedText,
    html_to_telegram,
    normalize_entities,
    split_formatted,
    text_to_okdesk_html,
    utf16_len,
)


def ents(ft: FormattedText) -> list[tuple]:
    """Entities as (kind, covered text[, url/language]) - readable and exact."""
    out: list[tuple] = []
    for e in ft.entities:
        item: tuple = (e.kind, ft.entity_text(e))
        if e.url is not None:
            item += (e.url,)
        if e.language is not None:
            item += (e.language,)
        out.append(item)
    return out


def conv(src: str, **kw) -> tuple[str, list[tuple]]:
    ft = html_to_telegram(src, **kw)
    return ft.text, ents(ft)


# -- real-world Okdesk comments -------------------------------------------------------------


def test_okdesk_editor_divs_with_nbsp_and_entities():
    src = (
        '<div style="height: auto;"><div>Добрый день!</div><div><br></div>'
        "<div>Мы&nbsp;проверили принтер в&nbsp;кабинете&nbsp;&#8470;&nbsp;204 &mdash; "
        "картридж заменён.</div><div><br></div><div>С уважением,<br>Иван Петров</div></div>"
    )
    assert conv(src) == (
        "Добрый день!\n\nМы проверили принтер в кабинете № 204 — картридж заменён.\n\n"
        "С уважением,\nИван Петров",
        [],
    )


def test_okdesk_instructions_with_list_links_and_bold():
    src = (
        "<p>Для подключения к VPN:</p><ol><li>Скачайте клиент по "
        '<a href="https://vpn.example.ru/client" target="_blank">ссылке</a></li>'
        "<li>Введите логин <b>ivanov</b></li></ol>"
        "<p>Если не получится &ndash; пишите на "
        '<a href="mailto:support@example.ru">support@example.ru</a></p>'
    )
    assert conv(src) == (
        "Для подключения к VPN:\n\n1. Скачайте клиент по ссылке\n2. Введите логин ivanov\n\n"
        "Если не получится – пишите на support@example.ru",
        [("text_url", "ссылке", "https://vpn.example.ru/client"), ("bold", "ivanov")],
    )


def test_word_paste_with_office_tags_and_empty_paragraph():
    src = (
        '<p class="MsoNormal"><span style="font-size:11.0pt;font-family:&quot;Calibri&quot;">'
        "Текст из Word<o:p></o:p></span></p>"
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">Вторая строка</p>'
        "<!--[if gte mso 9]><xml><o:OfficeDocumentSettings/></xml><![endif]-->"
    )
    assert conv(src) == ("Текст из Word\n\nВторая строка", [])


def test_email_reply_with_quote():
    src = (
        "<div>Спасибо!</div><blockquote style=\"border-left:1px solid #ccc\">"
        "<div>-----Original Message-----</div><div>От: Иван &lt;ivan@example.ru&gt;</div>"
        "</blockquote>"
    )
    assert conv(src) == (
        "Спасибо!\n-----Original Message-----\nОт: Иван <ivan@example.ru>",
        [("blockquote", "-----Original Message-----\nОт: Иван <ivan@example.ru>")],
    )


def test_status_span_with_colour_and_strong():
    src = '<p>Статус: <span style="color: #ff0000;"><strong>&laquo;Выполнена&raquo;</strong></span></p>'
    assert conv(src) == ("Статус: «Выполнена»", [("bold", "«Выполнена»")])


# -- blocks and whitespace ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "text"),
    [
        ("<p>Один</p><p>Два</p>", "Один\n\nДва"),
        ("<div>Один</div><div>Два</div>", "Один\nДва"),
        ("a<br>b<br/>c<br />d", "a\nb\nc\nd"),
        ("a<br><br>b", "a\n\nb"),
        ("a<br><br><br><br><br>b", "a\n\nb"),  # never more than one empty line
        ("<p>a</p><p></p><p>&nbsp;</p><p><br></p><p>b</p>", "a\n\nb"),
        ("<br><br><p>a</p><br><br>", "a"),  # no leading/trailing blank lines
        ("<div>a<br></div><div>b</div>", "a\nb"),  # a trailing <br> in a block adds nothing
        ("<div>a</div><br><div>b</div>", "a\n\nb"),
        ("<p>a</p></p><p>b</p>", "a\n\nb"),  # stray </p>
        ("  lots   of \n\t spaces  ", "lots   of\n\t spaces"),  # plain text: spacing kept
        ("<p>  lots   of \n\t spaces  </p>", "lots of spaces"),
        ("<p>a&nbsp;&nbsp;&nbsp;b</p>", "a   b"),  # &nbsp; is a space that does not collapse
        ("<p>&nbsp;&nbsp;отступ</p>", "отступ"),  # but never at the start of the text
        ("<p>x</p><p>&nbsp;&nbsp;отступ</p>", "x\n\n  отступ"),
        ("<p>a&nbsp;</p><p>b</p>", "a\n\nb"),  # nor at the end of a line
        ("<h1>Заголовок</h1>текст", "Заголовок\n\nтекст"),
        ("<p>a</p><hr><p>b</p>", "a\n\n———\n\nb"),
        ("<dl><dt>Срок</dt><dd>завтра</dd></dl>", "Срок\nзавтра"),
        ('<div style="white-space: pre-wrap">строка 1\nстрока 2\n\n\n  отступ</div>',
         "строка 1\nстрока 2\n\n  отступ"),
    ],
)
def test_layout(src, text):
    assert html_to_telegram(src).text == text


def test_plain_text_email_keeps_line_breaks():
    src = "Здравствуйте!\r\n\r\n\r\nНе работает принтер.\nКабинет 204.\n\n-- \nИван  Петров\n"
    assert conv(src) == (
        "Здравствуйте!\n\nНе работает принтер.\nКабинет 204.\n\n--\nИван  Петров",
        [],
    )


def test_plain_text_with_angle_brackets_is_not_html():
    src = "От: Иван <ivan@example.ru>\nСм. <https://example.ru/a?b=1>\nесли a < b и c > d"
    assert html_to_telegram(src).text == src


@pytest.mark.parametrize(
    ("src", "text"),
    [
        ("&laquo;Ёлка&raquo; &#8470;5 &mdash; &amp; &lt;b&gt; &#x1F600; &hellip;",
         "«Ёлка» №5 — & <b> 😀 …"),
        ("<p>&laquo;Ёлка&raquo; &#8470;5&nbsp;&mdash; &copy;</p>", "«Ёлка» №5 — ©"),
        ("<p>&unknown; &amp;amp;</p>", "&unknown; &amp;"),
    ],
)
def test_html_entities_decoded(src, text):
    assert html_to_telegram(src).text == text


# -- inline formatting ----------------------------------------------------------------------


def test_every_inline_kind():
    src = (
        "<b>b</b> <strong>st</strong> <i>i</i> <em>em</em> <u>u</u> <ins>ins</ins> "
        "<s>s</s> <strike>strike</strike> <del>del</del> <code>x = 1</code>"
    )
    assert conv(src) == (
        "b st i em u ins s strike del x = 1",
        [("bold", "b"), ("bold", "st"), ("italic", "i"), ("italic", "em"),
         ("underline", "u"), ("underline", "ins"), ("strike", "s"), ("strike", "strike"),
         ("strike", "del"), ("code", "x = 1")],
    )


def test_entity_offsets_are_utf16_and_skip_surrounding_spaces():
    ft = html_to_telegram("<p>😀 <b> жир😀 </b>конец</p>")
    assert ft.text == "😀 жир😀 конец"
    assert ft.entities == (Entity("bold", 3, 5),)  # 😀 is two UTF-16 units


def test_nested_and_misnested_formatting():
    assert conv("<b>жирный <i>и курсив</i></b>") == (
        "жирный и курсив", [("bold", "жирный и курсив"), ("italic", "и курсив")])
    # <b>1<i>2</b>3</i>: browsers keep "3" italic; entities still nest properly
    assert conv("<b>1<i>2</b>3</i>") == ("123", [("bold", "12"), ("italic", "2"), ("italic", "3")])
    assert conv("<p>unclosed <b>bold <i>both") == (
        "unclosed bold both", [("bold", "bold both"), ("italic", "both")])


def test_style_attributes():
    src = ('<span style="font-weight: bold">a</span> <span style="font-style:italic">b</span> '
           '<span style="text-decoration: underline line-through">c</span> '
           '<b style="font-weight:normal" id="docs-internal-guid-1">d</b> <font color="red">e</font>')
    assert conv(src) == ("a b c d e", [("bold", "a"), ("italic", "b"), ("underline", "c"),
                                      ("strike", "c")])


def test_headings_and_table_headers_are_bold():
    assert conv("<h3>Итог</h3><p>Готово</p>") == ("Итог\n\nГотово", [("bold", "Итог")])


def test_nothing_nests_inside_code():
    assert conv("<code>a <b>b</b></code>") == ("a b", [("code", "a b")])


def test_pre_keeps_whitespace_and_language():
    src = '<p>Код:</p><pre><code class="language-python">\ndef f():\n    return  1\n\n\n</code></pre><p>всё</p>'
    assert conv(src) == (
        "Код:\n\ndef f():\n    return  1\n\nвсё",
        [("pre", "def f():\n    return  1", "python")],
    )


def test_blockquote_nested_is_flattened():
    assert conv("<blockquote>a<blockquote>b</blockquote></blockquote>c") == (
        "a\nb\nc", [("blockquote", "a\nb")])


# -- lists, tables, images ------------------------------------------------------------------


def test_lists():
    src = ("<ul><li>один</li><li>два<ul><li>вложенный<ul><li>ещё</li></ul></li></ul></li></ul>"
           '<ol start="3"><li>три</li><li>четыре<ol type="a"><li>x</li><li>y</li></ol></li></ol>')
    assert html_to_telegram(src).text == (
        "• один\n• два\n  ◦ вложенный\n    ▪ ещё\n3. три\n4. четыре\n   a. x\n   b. y")


def test_list_items_with_paragraphs_and_unclosed_li():
    src = "<p>Шаги:</p><ol><li><p>Открыть</p><p>меню</p><li>Нажать</ol><p>Готово</p>"
    # paragraphs inside an item keep their empty line, also towards the next item
    assert html_to_telegram(src).text == "Шаги:\n\n1. Открыть\n\n   меню\n\n2. Нажать\n\nГотово"


def test_table_rows_on_lines_cells_joined():
    src = ("<table><thead><tr><th>Имя</th><th>Значение</th></tr></thead><tbody>"
           "<tr><td>CPU</td><td></td><td>i5</td></tr><tr><td><p>a</p><p>b</p></td></tr>"
           "</tbody></table><p>после</p>")
    assert conv(src) == ("Имя | Значение\nCPU | i5\na b\n\nпосле",
                         [("bold", "Имя"), ("bold", "Значение")])


def test_table_without_closing_tags():
    assert html_to_telegram("<table><tr><td>a<td>b<tr><td>c</table>").text == "a | b\nc"


def test_images():
    src = ('<p>Скрин: <img src="https://x.ru/files/scan%201.png"> и '
           '<img alt="схема" src="data:image/png;base64,AAAA"> '
           '<img src="/attachments/5/download"></p>')
    assert conv(src) == (
        "Скрин: [image: scan 1.png] и [image: схема] [image]",
        [("text_url", "[image: scan 1.png]", "https://x.ru/files/scan%201.png")],
    )
    assert conv('<img src="a.png">', image_label="изображение") == ("[изображение: a.png]", [])


# -- links ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ('<a href="https://okdesk.ru/x">ссылка</a>',
         ("ссылка", [("text_url", "ссылка", "https://okdesk.ru/x")])),
        ('<a href="https://okdesk.ru/">https://okdesk.ru</a>', ("https://okdesk.ru", [])),
        ('<a href="http://www.okdesk.ru">www.okdesk.ru</a>', ("www.okdesk.ru", [])),
        ('<a href="mailto:a@b.ru">a@b.ru</a>', ("a@b.ru", [])),
        ('<a href="mailto:a@b.ru?subject=x">почта</a>', ("почта (a@b.ru)", [])),
        ('<a href="tel:+79991234567">+7 (999) 123-45-67</a>', ("+7 (999) 123-45-67", [])),
        ('<a href="tel:+79991234567">звоните</a>', ("звоните (+79991234567)", [])),
        ('<a href="javascript:alert(1)">js</a>', ("js", [])),
        ('<a href="#top">наверх</a>', ("наверх", [])),
        ('<a name="x"></a>текст', ("текст", [])),
        ('<a href="/issues/5">заявка</a>', ("заявка", [])),
        ('<a href="https://x.ru?a=1&para=2&amp;b=3">q</a>',
         ("q", [("text_url", "q", "https://x.ru?a=1&para=2&b=3")])),
        ('<a href="https://x.ru"><b>жирная</b> ссылка</a>',
         ("жирная ссылка", [("text_url", "жирная ссылка", "https://x.ru"), ("bold", "жирная")])),
        ('<a href="https://x.ru"><code>code</code> text</a>',
         ("code text", [("text_url", "code text", "https://x.ru")])),
        ('<code><a href="https://x.ru">ссылка</a></code>',
         ("ссылка (https://x.ru)", [("code", "ссылка (https://x.ru)")])),
        ('<a href="https://a.ru">a<a href="https://b.ru">b</a>',
         ("ab", [("text_url", "a", "https://a.ru"), ("text_url", "b", "https://b.ru")])),
    ],
)
def test_links(src, expected):
    assert conv(src) == expected


def test_relative_links_with_base_url():
    assert conv('<a href="/issues/5">заявка</a>', base_url="https://acme.okdesk.ru") == (
        "заявка", [("text_url", "заявка", "https://acme.okdesk.ru/issues/5")])


# -- things that are not text, and robustness -----------------------------------------------


def test_script_style_comments_dropped():
    src = ("<p>до<script>alert('<b>x</b>')</script><style>p{color:red}</style>"
           "<!-- комментарий --> после</p><title>t</title>")
    assert conv(src) == ("до после", [])


def test_unknown_tags_stay_text():
    src = "<div>От: <ivan@mail.ru><br>см. <https://x.ru/a?b=1> и <Иван></div><p>x</foo bar>y</p>"
    assert html_to_telegram(src).text == (
        "От: <ivan@mail.ru>\nсм. <https://x.ru/a?b=1> и <Иван>\n\nx</foo bar>y")


@pytest.mark.parametrize(
    "src",
    ["", "<", "</", "<!--", "<!-- unclosed", "<![CDATA[", "<b", "a <b", "<a href='x", "</>",
     "<p><b><i><u>", "</div></div></b>", "&", "&#", "&#xD800;", "\ud800 lone", "<<b>>",
     "<" * 1000, "<b>" * 5000 + "x", "<div>" * 3000 + "x", "<table><td><ul><li><pre>x",
     "\x00\x01<p>\x0b</p>"],
)
def test_never_raises(src):
    ft = html_to_telegram(src)
    total = utf16_len(ft.text)
    assert all(e.offset >= 0 and e.length > 0 and e.end <= total for e in ft.entities)


def test_non_string_input():
    assert html_to_telegram(None) == FormattedText("")  # type: ignore[arg-type]


def test_stray_lt_and_cdata_keep_text():
    assert html_to_telegram("<p>a < b</p><![CDATA[raw <x>]]>").text == "a < b\n\nraw <x>"


# -- entities helpers, concatenation, normalisation -----------------------------------------


def test_utf16_len():
    assert utf16_len("") == 0
    assert utf16_len("Привет") == 6
    assert utf16_len("😀") == 2
    assert utf16_len("a😀b👍🏽") == 8


def test_concat_header_and_body_shifts_offsets():
    body = html_to_telegram("<p>Готово, <b>проверьте</b> 😀 <i>пожалуйста</i></p>")
    header = FormattedText.styled("#123 «Принтер 😀»", "bold")
    ft = FormattedText.concat(header, "\nИван Петров:\n\n", body)
    assert ft.text == "#123 «Принтер 😀»\nИван Петров:\n\nГотово, проверьте 😀 пожалуйста"
    assert ents(ft) == [("bold", "#123 «Принтер 😀»"), ("bold", "проверьте"),
                        ("italic", "пожалуйста")]
    assert ft.entities[0] == Entity("bold", 0, 17)
    assert ft == header + "\nИван Петров:\n\n" + body


def test_entity_validation():
    with pytest.raises(ValueError):
        Entity("spoiler", 0, 1)
    with pytest.raises(ValueError):
        Entity("text_url", 0, 1)
    with pytest.raises(ValueError):
        Entity("bold", -1, 1)


def test_normalize_entities_follows_telegram_rules():
    text = "0123456789"
    raw = [
        Entity("bold", 0, 0),  # empty: dropped
        Entity("italic", 8, 10),  # past the end: clamped
        Entity("code", 2, 4),
        Entity("text_url", 4, 4, url="https://x.ru"),  # overlaps code: dropped
        Entity("bold", 0, 6),  # partly inside code: the code part removed
        Entity("blockquote", 0, 10),
        Entity("blockquote", 1, 2),  # nested blockquote: dropped
        Entity("underline", 6, 4),
        Entity("underline", 7, 1),  # same kind inside: merged
    ]
    assert normalize_entities(text, raw) == (
        Entity("blockquote", 0, 10),
        Entity("bold", 0, 2),
        Entity("code", 2, 4),
        Entity("underline", 6, 4),
        Entity("italic", 8, 2),
    )


def test_normalize_cuts_partial_overlaps_and_surrogates():
    text = "ab😀cd"
    raw = [Entity("bold", 0, 4), Entity("text_url", 2, 4, url="https://x.ru"),
           Entity("italic", 3, 1)]  # inside the emoji: widened to all of it
    assert normalize_entities(text, raw) == (
        Entity("bold", 0, 2), Entity("text_url", 2, 4, url="https://x.ru"),
        Entity("bold", 2, 2), Entity("italic", 2, 2))


# -- splitting ------------------------------------------------------------------------------


def _long_comment(paragraphs: int = 27) -> str:
    return "".join(f"<p>Абзац {i}. " + "слово " * 60 + "конец.</p>" for i in range(paragraphs))


def test_ten_thousand_characters_split_in_three_and_join_back():
    ft = html_to_telegram(_long_comment())
    assert 9500 < len(ft.text) < 10500
    parts = split_formatted(ft)
    assert len(parts) == 3
    assert "".join(p.text for p in parts) == ft.text
    assert all(p.utf16_length <= 4096 for p in parts)
    # cut at paragraph breaks: each part ends with the empty line, the next starts a paragraph
    assert all(p.text.endswith("конец.\n\n") for p in parts[:-1])
    assert all(p.text.startswith("Абзац") for p in parts)


def test_caption_then_messages():
    ft = html_to_telegram(_long_comment())
    parts = split_formatted(ft, limit=4096, first_limit=1024)
    assert parts[0].utf16_length <= 1024
    assert all(p.utf16_length <= 4096 for p in parts[1:])
    assert "".join(p.text for p in parts) == ft.text


def test_entity_crossing_the_split_is_cut_into_both_parts():
    text = "aaaa bbbb cccc dddd"
    ft = FormattedText(text, (Entity("bold", 2, 10), Entity("text_url", 0, 19, url="https://x.ru")))
    parts = split_formatted(ft, limit=10)
    assert [p.text for p in parts] == ["aaaa bbbb ", "cccc dddd"]
    assert parts[0].entities == (Entity("bold", 2, 8), Entity("text_url", 0, 10, url="https://x.ru"))
    assert parts[1].entities == (Entity("bold", 0, 2), Entity("text_url", 0, 9, url="https://x.ru"))


def test_split_preferences():
    # a line break beats a later space; a paragraph break beats a later line break
    assert [p.text for p in split_formatted(FormattedText("aaaaaaa\nbb cc dd"), limit=12)] == [
        "aaaaaaa\n", "bb cc dd"]
    assert [p.text for p in split_formatted(FormattedText("aaaaa\n\nbb\ncc dd"), limit=13)] == [
        "aaaaa\n\n", "bb\ncc dd"]
    # ...but only in the second half of the window: no needlessly short parts
    assert [p.text for p in split_formatted(FormattedText("aaaa\nbbb ccc dd"), limit=12)] == [
        "aaaa\nbbb ", "ccc dd"]
    # no whitespace at all: cut anywhere, but not through an emoji or before its modifier
    assert [p.text for p in split_formatted(FormattedText("abc😀😀"), limit=4)] == ["abc", "😀😀"]
    assert [p.text for p in split_formatted(FormattedText("ab👍🏽cd"), limit=5)] == ["ab", "👍🏽c", "d"]


def test_split_edge_cases():
    assert split_formatted(FormattedText("")) == []
    assert split_formatted(FormattedText("short")) == [FormattedText("short")]
    with pytest.raises(ValueError):
        split_formatted(FormattedText("x"), limit=1)


# -- outgoing -------------------------------------------------------------------------------


def test_text_to_okdesk_html():
    assert text_to_okdesk_html('a < b & c > d\r\nline "2"\n\n  отступ\tтаб') == (
        'a &lt; b &amp; c &gt; d<br>line "2"<br><br>  отступ\tтаб')
    assert text_to_okdesk_html("") == ""


def test_outgoing_round_trip_keeps_every_character():
    text = "Привет <b>не тег</b> & 😀\nвторая строка"
    assert html_to_telegram(text_to_okdesk_html(text)).text == text
