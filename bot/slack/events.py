"""Slack's events: the App Home tab opened, and any listener that failed (logged, never shown)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.slack.runtime import Runtime, log
from governance.i18n import using_locale


async def home_opened(rt: Runtime, body: dict[str, Any], event: dict[str, Any]) -> None:
    """Publish the Home tab of the person who opened it, in their language."""
    if event.get("tab", "home") != "home":
        return
    user_id = str(event.get("user") or "")
    team_id = str(body.get("team_id") or "")
    if not user_id or not team_id:
        return
    actor, locale = await rt.reader(team_id, user_id)
    with using_locale(locale):
        rt.spawn(rt.publish_home(user_id, actor, team_id))


def register(app: AsyncApp, rt: Runtime) -> None:
    """Listen for the App Home tab being opened, and log listeners that fail."""

    @app.event("app_home_opened")
    async def on_home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        await home_opened(rt, body, event)

    @app.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error(
            "slack listener failed (%s): %s", body.get("type") or body.get("command"), error, exc_info=error
        )
