"""Request bodies and answer shapes of the Okdesk write/list endpoints.

Documented bodies are wrapped in the resource key (``{"comment": {...}}``); with files the
same fields travel as Rails-style bracketed multipart names (``comment[content]``,
``comment[attachments][0][attachment]``). Answers are tolerated bare or wrapped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .models import UploadFile
from .multipart import FilePart, MultipartBody


def flag(value: bool) -> str:
    """Booleans as Rails reads them from a form."""
    return "true" if value else "false"


def items(data: Any, key: str | None = None) -> list[Any]:
    """A lenient list answer, for the contact lookups only: a bare array, ``{key: [...]}``,
    one object (the documented exact-match answer), and null/{} meaning none. The other
    list endpoints ask the transport for ``expect_list`` instead: there "nothing" in an odd
    shape is an outage, not an empty list."""
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if key and isinstance(data.get(key), list):
            return data[key]
        return [data] if data.get("id") is not None else []
    return []


def unwrap(data: Any, key: str) -> Any:
    """A created object comes bare; tolerate ``{"comment": {...}}`` too."""
    if isinstance(data, dict) and data.get("id") is None and isinstance(data.get(key), dict):
        return data[key]
    return data


def with_files(
    prefix: str, fields: Sequence[tuple[str, str]], files: Sequence[UploadFile]
) -> MultipartBody:
    """``fields`` plus ``<prefix>[attachments][i][attachment|is_public]`` for each file."""
    all_fields = list(fields)
    parts = []
    for i, f in enumerate(files):
        all_fields.append((f"{prefix}[attachments][{i}][is_public]", flag(f.is_public)))
        parts.append(
            FilePart(
                f"{prefix}[attachments][{i}][attachment]", f.file_name, Path(f.path), f.content_type
            )
        )
    return MultipartBody(all_fields, parts)


def comment_request(
    content_html: str, author_id: int, author_type: str, public: bool, files: Sequence[UploadFile]
) -> dict[str, Any]:
    """Keyword arguments for Transport.request: ``json_body`` or ``body``."""
    if files:
        fields = [
            ("comment[content]", content_html),
            ("comment[public]", flag(public)),
            ("comment[author_id]", str(int(author_id))),
            ("comment[author_type]", author_type),
        ]
        return {"body": with_files("comment", fields, files)}
    comment = {
        "content": content_html,
        "public": public,
        "author_id": int(author_id),
        "author_type": author_type,
    }
    return {"json_body": {"comment": comment}}


def issue_request(
    issue: dict[str, Any], author: tuple[int, str] | None, files: Sequence[UploadFile]
) -> dict[str, Any]:
    """``issue``: the plain fields, None values already dropped."""
    if files:
        fields = [(f"issue[{k}]", str(v)) for k, v in issue.items()]
        if author is not None:
            fields += [
                ("issue[author][id]", str(int(author[0]))),
                ("issue[author][type]", author[1]),
            ]
        return {"body": with_files("issue", fields, files)}
    if author is not None:
        issue = {**issue, "author": {"id": int(author[0]), "type": author[1]}}
    return {"json_body": {"issue": issue}}
