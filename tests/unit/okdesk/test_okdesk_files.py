"""OkdeskClient writes with files: multipart uploads, issue creation, status changes and
streamed attachment downloads against the emulator."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from syncd.okdesk import OkdeskTooLarge, OkdeskUnavailable, UploadFile
from tests.okdesk_emulator import Fault
from tests.unit.okdesk._helpers import TOKEN, _one_attachment, assert_clean, records, settled

ROOT = Path(__file__).resolve().parents[3]


def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def test_multipart_comment_keeps_a_cyrillic_file_name_and_the_bytes(
    emu, client, tmp_path: Path
) -> None:
    emu.options.comment_attachment_shape = "full"  # what is checked is in the full shape only
    issue = emu.add_issue("x")
    src = tmp_path / "upload.bin"
    src.write_bytes(os.urandom(300_000))
    name = 'Отчёт "за май" №2.pdf'
    comment = client.create_comment(
        issue,
        content_html="<p>Файл во вложении</p>",
        author_id=emu.api_employee_id,
        public=False,
        files=[UploadFile(src, name, "application/pdf", is_public=False)],
    )
    assert comment.public is False and len(comment.attachments) == 1
    att = comment.attachments[0]
    assert att.file_name == name and att.size == 300_000 and att.is_public is False
    stored = emu.get_attachment(att.id)
    assert stored["attachment_file_name"] == name and _sha(Path(stored["path"])) == _sha(src)
    assert emu.get_comments(issue)[-1]["content"] == "<p>Файл во вложении</p>"
    dest = tmp_path / "back.pdf"
    assert client.download_attachment(issue, att.id, dest) == 300_000
    assert _sha(dest) == _sha(src)


def test_create_issue_with_files_and_status_change(emu, client, tmp_path: Path) -> None:
    emu.options.api_key_role = "administrator"  # only an administrator's key may name the author
    contact = emu.add_contact("Анна", "Ли", phone="79990000001")
    src = tmp_path / "photo.jpg"
    src.write_bytes(b"\xff\xd8jpeg")
    issue = client.create_issue(
        title="Не работает",
        description_html="<p>Скриншот</p>",
        contact_id=contact,
        author=(contact, "contact"),
        files=[UploadFile(src, "скрин.jpg", "image/jpeg")],
    )
    assert issue.contact_id == contact and [a.file_name for a in issue.attachments] == ["скрин.jpg"]
    plain = client.create_issue(title="Без файлов", contact_id=contact, author=(contact, "contact"))
    assert plain.id != issue.id and plain.title == "Без файлов"
    client.change_status(issue.id, "in_progress", comment_html="<p>Взяли</p>", comment_public=True)
    assert client.get_issue(issue.id).status_code == "in_progress"
    assert emu.get_comments(issue.id)[-1]["content"] == "<p>Взяли</p>"


def test_download_retries_once_with_a_fresh_link_after_expiry(emu, client, tmp_path: Path) -> None:
    issue, att, src = _one_attachment(emu, tmp_path)
    emu.add_fault(Fault("status", status=403, path=r"^/storage/"))  # an expired link, as S3 says it
    dest = tmp_path / "a.bin"
    assert client.download_attachment(issue, att, dest) == src.stat().st_size
    assert _sha(dest) == _sha(src) and settled(emu).count_requests(r"/attachments/") == 2
    # A link that really expires between being handed out and being used.
    emu.options.attachment_url_ttl = 0.3
    emu.add_fault(Fault("slow", delay=0.6, path=r"^/storage/"))
    dest2 = tmp_path / "b.bin"
    assert client.download_attachment(issue, att, dest2) == src.stat().st_size
    assert [r.status for r in records(emu, r"^/storage/")][-2:] == [403, 200]


def test_download_that_keeps_failing_or_is_too_big_leaves_nothing(
    emu, client, tmp_path: Path
) -> None:
    issue, att, _ = _one_attachment(emu, tmp_path)
    emu.add_fault(Fault("status", status=403, times=None, path=r"^/storage/"))
    dest = tmp_path / "a.bin"
    with pytest.raises(OkdeskUnavailable) as info:
        client.download_attachment(issue, att, dest)
    assert_clean(info.value)
    emu.clear_faults()
    emu.reset_requests()
    with pytest.raises(OkdeskTooLarge):
        client.download_attachment(issue, att, dest, max_bytes=1000)
    assert settled(emu).count_requests(r"^/storage/") == 0  # the announced size was enough
    assert not dest.exists() and not dest.with_name("a.bin.part").exists()


RSS_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from syncd.okdesk import OkdeskClient, UploadFile

    def hwm():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    base, token, issue, author, src, dest = sys.argv[1:]
    client = OkdeskClient(base, token, timeout=60)
    client.list_statuses()  # warm up: imports, connection pool
    before = hwm()
    comment = client.create_comment(int(issue), content_html="big", author_id=int(author), public=True,
                                    files=[UploadFile(Path(src), "большой.bin")])
    after_upload = hwm()
    size = client.download_attachment(int(issue), comment.attachments[0].id, Path(dest))
    print(json.dumps({"before": before, "upload": after_upload, "download": hwm(), "size": size,
                      "attachment": comment.attachments[0].id}))
    """
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux)")
def test_50mb_upload_and_download_stream_without_loading_the_file(emu, tmp_path: Path) -> None:
    size = 50 * 1024 * 1024
    src = tmp_path / "big.bin"
    with open(src, "wb") as fh:
        block = os.urandom(1 << 20)
        for n in range(size >> 20):
            fh.write(block[n:] + block[:n])
    issue = emu.add_issue("big")
    dest = tmp_path / "back.bin"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            RSS_SCRIPT,
            emu.base_url,
            TOKEN,
            str(issue),
            str(emu.api_employee_id),
            str(src),
            str(dest),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["size"] == size
    assert _sha(dest) == _sha(src) == _sha(Path(emu.get_attachment(result["attachment"])["path"]))
    # Peak RSS may grow by buffers, never by anything near the file's 50 MB.
    assert result["upload"] - result["before"] < 10 * 1024 * 1024, result
    assert result["download"] - result["before"] < 10 * 1024 * 1024, result
