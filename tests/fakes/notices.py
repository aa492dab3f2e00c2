"""An outbox notice as its reader gets it, for the bot's and the cross-cutting tests.

The row holds a kind and parameters; the sentence is written at delivery by ``bot/present``. Core tests
(``tests/governance``) assert on the kind and parameters instead and never import this.
"""

from __future__ import annotations

from bot.present.notices import render_pending
from bot.present.syntax import Platform
from governance.models import OutboxMessage


def notice_text(message: OutboxMessage, locale: str = "en", platform: Platform = "console") -> str:
    """The text ``message`` is delivered as, in ``locale`` and ``platform``'s command syntax."""
    return render_pending(message, locale=locale, platform=platform).text
