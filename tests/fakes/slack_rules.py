"""What Slack refuses, for the strict fake Web API (``tests.fakes.slack_api``).

Views and messages are parsed with ``slack_sdk``'s model classes (``slack_sdk.models.views.View``,
``slack_sdk.models.blocks.Block``) and serialised with ``to_dict()``, which runs every ``validate_json()``
on the way down (text lengths: section 3,000, header 150, button and option texts 75, option values 150,
100 options per select, title/submit/close 24, private_metadata 3,000, plain_text_input lengths, ...).
A block or element type the models do not know is refused too (the models only log and skip it).
On top of that come the limits Slack documents that the models leave out:

- a view holds at most 100 blocks and its JSON at most 250 kB (``view_too_large``); a modal with an
  input block needs a ``submit`` button;
- a message holds at most 50 blocks (``invalid_blocks``) and at most 40,000 characters of ``text``
  (``msg_too_long``), and needs ``text``, ``blocks`` or ``attachments`` (``no_text``);
- checkboxes and radio buttons hold at most 10 options.

Each check answers ``None`` when Slack would take the payload, else ``(error code, why)``; the error codes
are the ones the Web API documents for the method (``invalid_arguments`` for a view Slack cannot build).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_VIEW_BYTES = 250_000
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_BLOCKS = 50
MAX_MESSAGE_TEXT = 40_000
MAX_CHOICES = 10  # checkboxes, radio_buttons
TRIGGER_TTL = 3.0  # seconds a trigger_id may be exchanged for a view, once

Refusal = tuple[str, str] | None


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def _skipped() -> Iterator[list[str]]:
    """What ``slack_sdk``'s models skipped while parsing (they log unknown blocks/elements and drop them)."""
    handler = _Collect()
    logger = logging.getLogger("slack_sdk.models")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _choices(blocks: Any) -> str | None:
    """Option lists (``slack_sdk``'s ``Option.to_dict`` skips its own validators): at most 100 per
    select, 10 per checkbox or radio group, texts of 1-75 and values of 1-150 characters."""
    for node in _walk(blocks):
        options = node.get("options")
        if not isinstance(options, list) or "type" not in node:
            continue
        most = MAX_CHOICES if node["type"] in ("checkboxes", "radio_buttons") else 100
        if len(options) > most:
            return f"{node['type']} holds at most {most} options, got {len(options)}"
        refused = _option_texts(options)
        if refused is not None:
            return refused[1]
    return None


def _blocks(blocks: Any) -> str | None:
    """Why Slack would refuse these blocks (``None`` when it would take them)."""
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        return "blocks must be a list of objects"
    with _skipped() as skipped:
        try:
            parsed = Block.parse_all(blocks)
            for block in parsed:
                if block is None:
                    raise SlackObjectFormationError("unknown block type")
                block.to_dict()
        except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as exc:
            return str(exc) or type(exc).__name__
    if skipped:
        return "; ".join(skipped)
    return _choices(blocks)


def check_view(view: Any) -> Refusal:
    """Why ``views.open/push/update/publish`` would refuse ``view`` (``None`` when Slack would take it)."""
    if not isinstance(view, dict):
        return "invalid_arguments", "view must be a JSON object"
    size = len(json.dumps(view, ensure_ascii=False).encode())
    if size > MAX_VIEW_BYTES:
        return "view_too_large", f"view is {size} bytes, over {MAX_VIEW_BYTES}"
    blocks = view.get("blocks")
    if not isinstance(blocks, list) or not 0 < len(blocks) <= MAX_VIEW_BLOCKS:
        return "invalid_arguments", f"a view holds 1 to {MAX_VIEW_BLOCKS} blocks"
    why = _blocks(blocks)
    if why is not None:
        return "invalid_arguments", why
    if view.get("type") == "modal":
        if not view.get("title"):
            return "invalid_arguments", "a modal needs a title"
        if any(b.get("type") == "input" for b in blocks) and not view.get("submit"):
            return "invalid_arguments", "a modal with input blocks needs a submit button"
    with _skipped() as skipped:
        try:
            View(**{k: v for k, v in view.items() if k != "state"}).to_dict()
        except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as exc:
            return "invalid_arguments", str(exc) or type(exc).__name__
    if skipped:
        return "invalid_arguments", "; ".join(skipped)
    return None


def check_message(args: dict[str, Any]) -> Refusal:
    """Why ``chat.postMessage`` (and postEphemeral, update, a ``response_url`` post) would refuse these
    arguments (``None`` when Slack would take them)."""
    text = args.get("text")
    blocks = args.get("blocks")
    if isinstance(blocks, str):
        try:
            blocks = json.loads(blocks)
        except ValueError:
            return "invalid_blocks_format", "blocks is not JSON"
    if not text and not blocks and not args.get("attachments"):
        return "no_text", "a message needs text, blocks or attachments"
    if text is not None and len(str(text)) > MAX_MESSAGE_TEXT:
        return "msg_too_long", f"text is {len(str(text))} characters, over {MAX_MESSAGE_TEXT}"
    if blocks:
        if isinstance(blocks, list) and len(blocks) > MAX_MESSAGE_BLOCKS:
            return "invalid_blocks", f"{len(blocks)} blocks, over {MAX_MESSAGE_BLOCKS}"
        why = _blocks(blocks)
        if why is not None:
            return "invalid_blocks", why
    return None


def check_ack(payload: Any) -> Refusal:
    """Why Slack would refuse what an app answered a request with (the HTTP body or the Socket Mode
    acknowledgement's payload): a message for a command, a view for ``response_action`` update/push,
    options for a ``block_suggestion``; an empty answer is fine."""
    if not payload or not isinstance(payload, dict):
        return None
    if "options" in payload or "option_groups" in payload:
        return check_options(payload.get("options"))
    action = payload.get("response_action")
    if action in ("update", "push"):
        return check_view(payload.get("view"))
    if action == "errors":
        errors = payload.get("errors")
        return None if isinstance(errors, dict) and errors else ("invalid_arguments", "errors need block ids")
    if action is not None:
        return None  # "clear"
    return check_message(payload)


def check_options(options: Any) -> Refusal:
    """Why Slack would not show the options a ``block_suggestion`` was answered with."""
    if not isinstance(options, list) or len(options) > 100:
        return "invalid_options", "an options list holds at most 100 options"
    return _option_texts(options)


def _option_texts(options: list[Any]) -> Refusal:
    for option in options:
        if not isinstance(option, dict):
            return "invalid_options", f"an option must be an object: {option!r}"
        text = option.get("text") or {}
        if (
            not 0 < len(str(text.get("text") or "")) <= 75
            or not 0 < len(str(option.get("value") or "")) <= 150
        ):
            return "invalid_options", f"option text 1-75 and value 1-150 characters: {option}"
    return None
