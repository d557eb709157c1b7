"""Files sent with POST /issues/ and POST /issues/{id}/comments (§2.1, §3.2).

`attachments[i][attachment|is_public|description]` arrive from multipart bodies as
files already on disk; here they are validated (structure, then the account's size and
type limits of `Options`) and adopted into the blob store once the create succeeds.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from .context import Context
from .multipart import UploadedFile
from .options import Options
from .params import (
    MSG_ARRAY,
    MSG_BOOLEAN,
    MSG_MISSING,
    Errors,
    human_size,
    indexed_list,
    text,
    to_bool,
)
from .storage import StoredFile

Upload = tuple[UploadedFile, bool, str]  # file, is_public, description


def msg_too_big(file_name: str, limit: int) -> str:
    return f"Размер файла «{file_name}» превышает допустимый ({human_size(limit)})"


def msg_bad_type(file_name: str) -> str:
    return f"Недопустимый тип файла «{file_name}»"


def extension(file_name: str) -> str:
    suffix = PurePosixPath(file_name).suffix
    return suffix[1:].lower() if suffix else ""


def parse_uploads(params: dict[str, Any], errors: Errors, options: Options) -> list[Upload]:
    """`attachments[i][...]`; is_public defaults to false.

    Limit violations are reported as {"attachments": ["..."]} (one message per file and
    problem), but only when the structure is sound: Rails would not get that far, and a
    list under "attachments" cannot also hold the per-index errors.
    """
    if "attachments" not in params:
        return []
    raw = params["attachments"]
    if not isinstance(raw, (list, dict)):
        errors.add("attachments", MSG_ARRAY)
        return []
    result = []
    broken = False
    for index, item in enumerate(indexed_list(raw)):
        path = ("attachments", str(index))
        if not isinstance(item, dict) or not isinstance(item.get("attachment"), UploadedFile):
            errors.add((*path, "attachment"), MSG_MISSING)
            broken = True
            continue
        is_public = to_bool(item.get("is_public", False))
        if is_public is None:
            errors.add((*path, "is_public"), MSG_BOOLEAN)
            broken = True
            continue
        result.append((item["attachment"], is_public, text(item.get("description")) or ""))
    if not broken:
        for message in limit_problems([upload for upload, _, _ in result], options):
            errors.add("attachments", message)
    return result


def limit_problems(files: list[UploadedFile], options: Options) -> list[str]:
    problems = []
    limit = options.max_attachment_bytes
    forbidden = options.forbidden_attachment_extensions
    for upload in files:
        if limit is not None and upload.size > limit:
            problems.append(msg_too_big(upload.filename, limit))
        if forbidden and extension(upload.filename) in forbidden:
            problems.append(msg_bad_type(upload.filename))
    return problems


def adopt_uploads(ctx: Context, uploads: list[Upload]) -> list[StoredFile]:
    return [
        ctx.files.adopt(
            upload.path, upload.filename, upload.content_type, is_public, description, upload.sha256
        )
        for upload, is_public, description in uploads
    ]
