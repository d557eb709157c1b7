"""The multipart encoder behind OkdeskClient uploads."""

from __future__ import annotations

import email.parser
import email.policy
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.okdesk.multipart import BodyFileChanged, FilePart, MultipartBody


def _parse_multipart(body: MultipartBody) -> list:
    raw = b"".join(body)
    head = f"Content-Type: {body.content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    return list(msg.iter_parts())


def test_multipart_length_matches_bytes_and_body_is_reiterable(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(200_000))  # spans several 64 KiB reads
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    body = MultipartBody(
        [("comment[content]", "<p>Привет</p>"), ("comment[public]", "true")],
        [FilePart("f[0]", "big.bin", big), FilePart("f[1]", "пусто.txt", empty, "text/plain")],
    )
    first = b"".join(body)
    assert len(first) == body.content_length == len(body)
    assert b"".join(body) == first  # a retry re-reads the files from the start
    assert max(len(c) for c in body) <= 64 * 1024 + 1024
    parts = _parse_multipart(body)
    assert [p.get_param("name", header="content-disposition") for p in parts] == [
        "comment[content]",
        "comment[public]",
        "f[0]",
        "f[1]",
    ]
    assert parts[0].get_payload(decode=True).decode() == "<p>Привет</p>"
    assert parts[2].get_payload(decode=True) == big.read_bytes()
    assert parts[3].get_payload(decode=True) == b""


def test_multipart_file_name_is_raw_utf8_with_quotes_and_newlines_escaped(tmp_path: Path) -> None:
    f = tmp_path / "x"
    f.write_bytes(b"data")
    body = MultipartBody([], [FilePart("file", 'Отчёт "итог"\r\n.pdf', f)])
    raw = b"".join(body)
    assert 'filename="Отчёт %22итог%22%0D%0A.pdf"'.encode() in raw
    assert b"filename*" not in raw


def test_multipart_refuses_a_file_that_changed_size(tmp_path: Path) -> None:
    f = tmp_path / "x"
    f.write_bytes(b"12345")
    body = MultipartBody([], [FilePart("file", "x", f)])
    f.write_bytes(b"12")
    with pytest.raises(BodyFileChanged):
        b"".join(body)
    with pytest.raises(FileNotFoundError):
        MultipartBody([], [FilePart("file", "x", tmp_path / "missing")])


@settings(max_examples=40, deadline=None)
@given(
    fields=st.lists(st.tuples(st.text(min_size=1, max_size=20), st.text(max_size=200)), max_size=4),
    files=st.lists(
        st.tuples(st.text(min_size=1, max_size=30), st.binary(max_size=3000)), max_size=3
    ),
    chunk=st.integers(min_value=1, max_value=4096),
)
def test_multipart_length_is_exact_for_any_content(fields, files, chunk) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        parts = []
        for n, (name, data) in enumerate(files):
            path = Path(tmp) / str(n)
            path.write_bytes(data)
            parts.append(FilePart(f"f[{n}]", name, path))
        body = MultipartBody(fields, parts, chunk_size=chunk)
        raw = b"".join(body)
        assert len(raw) == len(body) and b"".join(body) == raw
        assert raw.count(body.boundary.encode()) == len(fields) + len(files) + 1
