"""`SlackNotifier`: handoff events as Block Kit messages (built with `slack_sdk`'s block
models) POSTed to a Slack incoming-webhook URL (https://api.slack.com/messaging/webhooks).
A target with `mode: log`, or with no `url:`, writes the message JSON to the log instead:
that is how `warmline demo` shows Slack messages without a workspace."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx2 as httpx
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from warmline.adapters.notify.webhook import post_json, target_timeout
from warmline.adapters.outbound import guarded_client
from warmline.core.policy.model import NotifyTarget
from warmline.service.ports import OutboxMessage

log = logging.getLogger(__name__)

_HEADER_CHARS = 150   # Block Kit: a header's text is at most 150 characters
_SECTION_CHARS = 3000  # and a section's text at most 3,000
_TITLES = {
    "handoff.created": "New handoff", "handoff.accepted": "Handoff accepted",
    "handoff.completed": "Handoff completed", "handoff.failed": "Handoff failed",
    "handoff.callback_scheduled": "Callback scheduled",
}


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: only &, < and > are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _reasons(reasons: Any) -> str:
    words = []
    for reason in reasons if isinstance(reasons, list) else []:
        if isinstance(reason, Mapping):
            rule, code, detail = reason.get("rule"), reason.get("code"), reason.get("detail")
            if code == "trigger" and rule:
                words.append(str(rule))  # its detail is the whole rule: the name says it
            else:
                words.append(f"{code} ({detail})" if detail else str(code))
    return "; ".join(words) or "no reason given"


def slack_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The incoming-webhook body (`text` fallback + `blocks`) for an outbox payload."""
    data: Mapping[str, Any] = payload.get("data") or {}
    kind = str(payload.get("type", ""))
    queue, priority = data.get("queue", "?"), data.get("priority", "?")
    brief: Mapping[str, Any] = data.get("brief") or {}
    summary = str(brief.get("summary") or "No brief: cold transfer.")
    title = f"{_TITLES.get(kind, kind)}: {queue} · priority {priority}"
    fields = [MarkdownTextObject(text=f"*Why*\n{escape(_reasons(data.get('reasons')))}"),
              MarkdownTextObject(text=f"*Mode*\n{escape(str(data.get('mode', '?')))}")]
    if data.get("tags"):
        fields.append(MarkdownTextObject(
            text="*Tags*\n" + escape(", ".join(map(str, data["tags"])))))
    if data.get("outcome"):
        fields.append(MarkdownTextObject(text=f"*Outcome*\n{escape(str(data['outcome']))}"))
    quoted = "\n".join(f">{escape(line)}" for line in summary.splitlines())
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=title[:_HEADER_CHARS])),
        SectionBlock(fields=fields[:10]),
        SectionBlock(text=MarkdownTextObject(text=f"*Brief*\n{quoted}"[:_SECTION_CHARS])),
    ]
    if brief.get("whisper"):
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"Whisper: _{escape(str(brief['whisper']))}_")]))
    if data.get("desk_url"):
        blocks.append(ActionsBlock(elements=[ButtonElement(
            text="Open on the desk", url=str(data["desk_url"]), action_id="open_handoff",
            style="primary" if kind == "handoff.created" else None)]))
    fallback = f"{title}: {summary.splitlines()[0] if summary else ''}"
    return {"text": fallback, "blocks": [block.to_dict() for block in blocks]}


def preview(body: Mapping[str, Any]) -> str:
    """A terminal rendering of a message's blocks: header, fields, brief, whisper, link."""
    lines: list[str] = []
    for block in body.get("blocks", []):
        kind = block.get("type")
        if kind == "header":
            lines.append(f"  {block['text']['text']}")
        elif kind == "section" and block.get("fields"):
            lines.append("  " + " | ".join(f["text"].replace("*", "").replace("\n", ": ")
                                           for f in block["fields"]))
        elif kind == "section":
            lines.extend(f"  {line}" for line in block["text"]["text"].splitlines())
        elif kind == "context":
            lines.extend(f"  {e['text']}" for e in block["elements"])
        elif kind == "actions":
            lines.extend(f"  [{e['text']['text']}] {e.get('url', '')}" for e in block["elements"])
    return "\n".join(lines)


class SlackNotifier:
    """Sends `type: slack` targets their messages."""

    def __init__(self, client: httpx.Client | None = None, *,
                 allow_private: bool = False) -> None:
        self._client = client or guarded_client(allow_private=allow_private)

    def send(self, target: NotifyTarget, message: OutboxMessage) -> None:
        body = slack_message(message.payload)
        channel = target.options.get("channel")
        if isinstance(channel, str) and channel:
            body["channel"] = channel  # honoured by legacy webhooks only; harmless otherwise
        if target.options.get("mode") == "log" or not target.url:
            log.info("Slack message for notify target %s (%s):\n%s\n  Block Kit: %s",
                     target.name, message.message_id, preview(body),
                     json.dumps(body, ensure_ascii=False))
            return
        post_json(self._client, target, "slack", json.dumps(body).encode(), headers={},
                  timeout=target_timeout(target))

    def close(self) -> None:
        self._client.close()
