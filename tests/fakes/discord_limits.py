"""What Discord refuses, for the loopback fake (``tests/fakes/discord_api.py``) to refuse it too.

The limits are Discord's documented ones (developer docs: application commands, message and embed
objects, message components, autocomplete responses), each checked as the API checks it: a payload
breaking one is answered ``400 Invalid Form Body`` (code 50035) with the reasons, and nothing is
created. Every function returns the list of problems, empty when Discord would accept the payload.
"""

from __future__ import annotations

import re
from typing import Any

NAME_RE = re.compile(r"^[-_'\w]{1,32}$")
COMMAND_LIMITS = {"top_level": 100, "options": 25, "choices": 25, "description": 100, "size": 8000}
"""Discord's limits on a command upload: top-level commands per scope, options (subcommands and groups
included) per command or group, choices per option, description length, and a command's size (the
characters of every name, description and choice value in it, each counted at its longest localization)."""
CHOICE_LIMIT = 100  # a choice's name and (string) value, in commands and autocomplete results
CONTENT_LIMIT = 2000
EMBED_LIMITS = {
    "embeds": 10,
    "title": 256,
    "description": 4096,
    "fields": 25,
    "field_name": 256,
    "field_value": 1024,
    "footer": 2048,
    "author": 256,
    "total": 6000,
}
COMPONENT_LIMITS = {
    "rows": 5,
    "buttons": 5,
    "options": 25,
    "custom_id": 100,
    "label": 80,
    "placeholder": 150,
    "option_label": 100,
    "option_value": 100,
    "option_description": 100,
}


def _longest(obj: dict[str, Any], key: str) -> int:
    localised = obj.get(f"{key}_localizations") or {}
    return max([len(str(obj.get(key) or "")), *(len(str(v)) for v in localised.values())])


def choice_problems(choices: list[dict[str, Any]], where: str) -> list[str]:
    """What breaks Discord's rules in a list of choices (of an option, or an autocomplete answer)."""
    out: list[str] = []
    if len(choices) > COMMAND_LIMITS["choices"]:
        out.append(f"{where}: {len(choices)} choices, must be {COMMAND_LIMITS['choices']} or fewer")
    for i, choice in enumerate(choices):
        if not 1 <= _longest(choice, "name") <= CHOICE_LIMIT:
            out.append(f"{where}: choice {i} name must be 1-{CHOICE_LIMIT} characters")
        value = choice.get("value")
        if isinstance(value, str) and not 1 <= len(value) <= CHOICE_LIMIT:
            out.append(f"{where}: choice {i} value must be 1-{CHOICE_LIMIT} characters, not {len(value)}")
    return out


def _option_problems(obj: dict[str, Any], where: str) -> list[str]:
    """What breaks Discord's rules in one command, group, subcommand or option (recursively)."""
    out: list[str] = []
    name = str(obj.get("name") or "")
    if not NAME_RE.match(name) or name != name.lower():
        out.append(f"{where}: name {name!r} must be 1-32 lowercase letters, digits, - or _")
    if obj.get("type", 1) != 0 and not 1 <= _longest(obj, "description") <= 100:
        out.append(f"{where}: description must be 1-{COMMAND_LIMITS['description']} characters")
    options = obj.get("options") or []
    if len(options) > COMMAND_LIMITS["options"]:
        out.append(f"{where}: {len(options)} options, must be {COMMAND_LIMITS['options']} or fewer")
    out += choice_problems(obj.get("choices") or [], where)
    if obj.get("choices") and obj.get("autocomplete"):
        out.append(f"{where}: an option cannot have both choices and autocomplete")
    required = [bool(o.get("required")) for o in options if o.get("type") not in (1, 2)]
    if required != sorted(required, reverse=True):
        out.append(f"{where}: required options must come before optional ones")
    names = [o.get("name") for o in options]
    if len(names) != len(set(names)):
        out.append(f"{where}: option names must be unique")
    for o in options:
        out += _option_problems(o, f"{where} {o.get('name')}")
    return out


def _size(obj: dict[str, Any]) -> int:
    total = _longest(obj, "name") + _longest(obj, "description")
    total += sum(_longest(c, "name") + len(str(c.get("value"))) for c in obj.get("choices") or [])
    return total + sum(_size(o) for o in obj.get("options") or [])


def command_upload_problems(commands: list[dict[str, Any]]) -> list[str]:
    """Why Discord would refuse this bulk upload (HTTP 400, code 50035), or [] when it would accept it."""
    out: list[str] = []
    chat = [c for c in commands if c.get("type", 1) == 1]
    if len(chat) > COMMAND_LIMITS["top_level"]:
        out.append(f"{len(chat)} commands, must be {COMMAND_LIMITS['top_level']} or fewer")
    names = [c.get("name") for c in chat]
    if len(names) != len(set(names)):
        out.append("command names must be unique")
    for c in commands:
        out += _option_problems(c, f"/{c.get('name')}")
        if _size(c) > COMMAND_LIMITS["size"]:
            out.append(f"/{c.get('name')}: command exceeds maximum size ({COMMAND_LIMITS['size']})")
    return out


def embed_problems(embeds: list[dict[str, Any]]) -> list[str]:
    """What breaks Discord's embed limits in one message's embeds (each, and all together)."""
    lim = EMBED_LIMITS
    out: list[str] = []
    if len(embeds) > lim["embeds"]:
        out.append(f"embeds: {len(embeds)}, must be {lim['embeds']} or fewer")
    total = 0
    for i, embed in enumerate(embeds):
        title = str(embed.get("title") or "")
        description = str(embed.get("description") or "")
        footer = str((embed.get("footer") or {}).get("text") or "")
        author = str((embed.get("author") or {}).get("name") or "")
        fields = embed.get("fields") or []
        for label, text in (("title", title), ("description", description), ("footer", footer)):
            if len(text) > lim[label]:
                out.append(f"embeds.{i}.{label}: {len(text)} characters, must be {lim[label]} or fewer")
        if len(author) > lim["author"]:
            out.append(f"embeds.{i}.author.name: must be {lim['author']} or fewer characters")
        if len(fields) > lim["fields"]:
            out.append(f"embeds.{i}.fields: {len(fields)}, must be {lim['fields']} or fewer")
        for j, f in enumerate(fields):
            name, value = str(f.get("name") or ""), str(f.get("value") or "")
            if not 1 <= len(name) <= lim["field_name"]:
                out.append(f"embeds.{i}.fields.{j}.name: must be 1-{lim['field_name']} characters")
            if not 1 <= len(value) <= lim["field_value"]:
                out.append(f"embeds.{i}.fields.{j}.value: must be 1-{lim['field_value']} characters")
            total += len(name) + len(value)
        total += len(title) + len(description) + len(footer) + len(author)
    if total > lim["total"]:
        out.append(f"embeds: {total} characters in all, must be {lim['total']} or fewer")
    return out


def _component_problems(component: dict[str, Any], where: str) -> list[str]:
    lim = COMPONENT_LIMITS
    out: list[str] = []
    custom_id = component.get("custom_id")
    if custom_id is not None and not 1 <= len(str(custom_id)) <= lim["custom_id"]:
        out.append(f"{where}.custom_id: must be 1-{lim['custom_id']} characters")
    if len(str(component.get("label") or "")) > lim["label"]:
        out.append(f"{where}.label: must be {lim['label']} or fewer characters")
    if len(str(component.get("placeholder") or "")) > lim["placeholder"]:
        out.append(f"{where}.placeholder: must be {lim['placeholder']} or fewer characters")
    if component.get("type") == 3:  # string select
        options = component.get("options") or []
        if not 1 <= len(options) <= lim["options"]:
            out.append(f"{where}.options: {len(options)}, must be 1-{lim['options']}")
        values = [o.get("value") for o in options]
        if len(values) != len(set(values)):
            out.append(f"{where}.options: values must be unique")
        for k, o in enumerate(options):
            for key in ("label", "value", "description"):
                most = lim[f"option_{key}"]
                text = str(o.get(key) or "")
                if len(text) > most or (key != "description" and not text):
                    out.append(f"{where}.options.{k}.{key}: must be 1-{most} characters")
        low, high = int(component.get("min_values", 1)), int(component.get("max_values", 1))
        if not 0 <= low <= high <= min(len(options), lim["options"]) or high < 1:
            out.append(f"{where}: min_values/max_values ({low}/{high}) out of range")
    return out


def component_problems(rows: list[dict[str, Any]]) -> list[str]:
    """What breaks Discord's component limits: action rows, buttons per row, one select filling its
    row, select options, custom ids (unique in the message), labels."""
    lim = COMPONENT_LIMITS
    out: list[str] = []
    if len(rows) > lim["rows"]:
        out.append(f"components: {len(rows)} action rows, must be {lim['rows']} or fewer")
    ids: list[str] = []
    for i, row in enumerate(rows):
        inner = row.get("components") or []
        if row.get("type") != 1 or not inner:
            out.append(f"components.{i}: must be a non-empty action row")
            continue
        selects = [c for c in inner if c.get("type") != 2]
        if selects and len(inner) > 1:
            out.append(f"components.{i}: a select menu must be alone in its row")
        if len(inner) > lim["buttons"]:
            out.append(f"components.{i}: {len(inner)} buttons, must be {lim['buttons']} or fewer")
        for j, component in enumerate(inner):
            out += _component_problems(component, f"components.{i}.components.{j}")
            if component.get("custom_id") is not None:
                ids.append(str(component["custom_id"]))
    if len(ids) != len(set(ids)):
        out.append("components: custom ids must be unique in a message")
    return out


def message_problems(payload: dict[str, Any]) -> list[str]:
    """What Discord refuses in a message (a channel post, a DM, an interaction response or follow-up):
    content over 2,000 characters, embeds and components over their limits."""
    out: list[str] = []
    content = str(payload.get("content") or "")
    if len(content) > CONTENT_LIMIT:
        out.append(f"content: {len(content)} characters, must be {CONTENT_LIMIT} or fewer")
    out += embed_problems(payload.get("embeds") or [])
    out += component_problems(payload.get("components") or [])
    return out


def autocomplete_problems(data: dict[str, Any]) -> list[str]:
    """What Discord refuses in an autocomplete answer (callback type 8): over 25 choices, a name or
    value over 100 characters."""
    return choice_problems(data.get("choices") or [], "choices")
