"""Schedule commands, registered on import by bot.commands."""

from __future__ import annotations
