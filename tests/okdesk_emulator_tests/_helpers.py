"""Shared constants and helpers of the Okdesk emulator fidelity tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import requests

from tests.okdesk_emulator import OkdeskEmulator

TOKEN = "secret-token"
Api = Callable[..., requests.Response]


def setup_issue(emu: OkdeskEmulator) -> tuple[int, int, int]:
    employee = emu.add_employee("Ольга", "Сидорова")
    contact = emu.add_contact("Иван", "Петров", phone="79123456789", patronymic="Ильич")
    issue = emu.add_issue("Не работает принтер", contact_id=contact)
    return employee, contact, issue


def multipart_body_file(tmp_path: Path, source: Path, author_id: int) -> tuple[Path, str]:
    """A comment multipart body built on disk, so the client side streams it too.

    Returns the body file and its Content-Type; the file part is `source`, named big.bin.
    """
    boundary = "emulatorTestBoundary7MA4YWxk"
    body = tmp_path / "body.bin"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="comment[content]"\r\n\r\n'
        f"<p>big</p>\r\n--{boundary}\r\n"
        f'Content-Disposition: form-data; name="comment[author_id]"\r\n\r\n{author_id}\r\n'
        f"--{boundary}\r\nContent-Disposition: form-data; "
        f'name="comment[attachments][0][attachment]"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    with open(body, "wb") as out, open(source, "rb") as src:
        out.write(head)
        while chunk := src.read(1 << 20):
            out.write(chunk)
        out.write(f"\r\n--{boundary}--\r\n".encode())
    return body, f"multipart/form-data; boundary={boundary}"
