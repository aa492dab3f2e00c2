"""``manifest.yml`` declares everything the app uses: the ``/gov`` command, a bot scope for every Web API
method govbot calls, the events it listens to, interactivity (with the options URL of type-ahead ballots),
the Home tab, and every URL pointing at the path the HTTP server serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.slack.app import COMMAND, EVENTS_PATH

MANIFEST = Path(__file__).resolve().parents[3] / "manifest.yml"

# Web API methods govbot calls (bot/slack/*.py) and the bot scope each needs.
SCOPES_NEEDED = {
    "chat.postMessage": "chat:write",
    "conversations.open": "im:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "users.info": "users:read",  # each person's Slack language, to answer them in it (bot/slack/locale.py)
}


def manifest() -> dict[str, Any]:
    data = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_manifest_declares_the_command_scopes_events_and_home() -> None:
    m = manifest()
    [command] = m["features"]["slash_commands"]
    assert command["command"] == COMMAND and command["should_escape"] is True
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    assert {"commands", *SCOPES_NEEDED.values()} <= scopes
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["features"]["app_home"]["messages_tab_enabled"] is True
    assert m["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["socket_mode_enabled"] is True


def test_every_url_in_the_manifest_is_the_events_path() -> None:
    m = manifest()
    urls = [
        m["features"]["slash_commands"][0]["url"],
        m["settings"]["event_subscriptions"]["request_url"],
        m["settings"]["interactivity"]["request_url"],
        m["settings"]["interactivity"]["message_menu_options_url"],
    ]
    assert all(u.startswith("https://") and u.endswith(EVENTS_PATH) for u in urls), urls


def test_the_app_calls_no_web_api_method_without_a_declared_scope() -> None:
    """Every ``client.<method>(`` in bot/slack that needs a scope is in SCOPES_NEEDED."""
    source = "\n".join(p.read_text() for p in (MANIFEST.parent / "bot" / "slack").glob("*.py"))
    scoped_families = ("chat_", "conversations_", "files_", "users_")
    called = {
        token.split("(")[0]
        for token in source.replace("await ", " ").split()
        if token.startswith(("client.", "rt.client.", "self.client."))
    }
    methods = {c.rsplit(".", 1)[-1] for c in called}
    needing = {m for m in methods if m.startswith(scoped_families)}
    declared = {name.replace(".", "_") for name in SCOPES_NEEDED} | {"files_upload_v2"}
    assert {"chat_postMessage", "conversations_open", "files_upload_v2"} <= needing  # the scan sees calls
    assert needing <= declared, needing - declared
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == {"commands", *SCOPES_NEEDED.values()}  # and asks for nothing more
