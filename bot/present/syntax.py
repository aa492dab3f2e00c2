"""A command line as a person types it on each platform.

Services and notices name commands as words (``("body", "seat", "tsc", "<handle>", "--role", "chair")``);
this module writes them in the syntax of the platform the reader is on, as inline code: Slack's one
slash command (`` `/gov body seat tsc <handle> --role chair` ``), Discord's slash commands, one per
top-level word (`` `/body seat tsc <handle> --role chair` ``), and the console's bare line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

Platform = Literal["console", "slack", "discord"]
PLATFORMS: tuple[Platform, ...] = ("console", "slack", "discord")

SLACK_COMMAND = "/gov"
"""Slack's slash command (``bot/slack/app.py`` registers it)."""


def command(words: Sequence[str], platform: Platform) -> str:
    """``words`` as a command to type on ``platform``, in backticks (inline code everywhere)."""
    line = " ".join(words)
    if platform == "slack":
        line = f"{SLACK_COMMAND} {line}"
    elif platform == "discord":
        line = f"/{line}"
    return f"`{line}`"
