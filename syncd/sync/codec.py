"""Deliveries to and from the outbox's JSON payload (the outbox outlives the process)."""

from __future__ import annotations

import json
from typing import Any

from syncd.formatting import FormattedText
from syncd.formatting.entities import Entity
from syncd.sync.planner import Delivery, FileRef, Step


def _text_to_json(text: FormattedText) -> dict[str, Any]:
    return {
        "text": text.text,
        "entities": [
            {k: v for k, v in (("kind", e.kind), ("offset", e.offset), ("length", e.length),
                               ("url", e.url), ("language", e.language)) if v is not None}
            for e in text.entities
        ],
    }


def _text_from_json(data: dict[str, Any]) -> FormattedText:
    return FormattedText(data["text"], tuple(Entity(**e) for e in data.get("entities", [])))


def step_to_json(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": step.kind}
    if step.text is not None:
        out["text"] = _text_to_json(step.text)
    if step.files:
        out["files"] = [
            {"attachment_id": f.attachment_id, "file_name": f.file_name, "size": f.size, "send_as": f.send_as}
            for f in step.files
        ]
    if step.buttons:
        out["buttons"] = [[list(button) for button in row] for row in step.buttons]
    if step.reply_to is not None:
        out["reply_to"] = step.reply_to
    return out


def step_from_json(data: dict[str, Any]) -> Step:
    text = _text_from_json(data["text"]) if "text" in data else None
    files = tuple(FileRef(**f) for f in data.get("files", []))
    buttons = tuple(tuple((str(label), str(cb)) for label, cb in row) for row in data.get("buttons", []))
    reply_to = data.get("reply_to")
    return Step(data["kind"], text, files, buttons, reply_to=int(reply_to) if reply_to is not None else None)


def delivery_payload(delivery: Delivery) -> str:
    return json.dumps(
        {"what": delivery.what, "okdesk_comment_id": delivery.okdesk_comment_id,
         "steps": [step_to_json(s) for s in delivery.steps]},
        ensure_ascii=False,
    )


def payload_steps(payload: str) -> tuple[str, int | None, tuple[Step, ...]]:
    data = json.loads(payload)
    return data.get("what", ""), data.get("okdesk_comment_id"), tuple(step_from_json(s) for s in data["steps"])
