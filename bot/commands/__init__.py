"""Every command of the shared grammar, by domain, and their dispatch.

Slack's ``/gov``, Discord's app commands, the buttons and forms of both, and the console all end in
:func:`dispatch`. Each domain module declares its commands with ``bot.grammar.command`` and imports
nothing from this package's ``__init__``; importing them here, in this order, registers them in
``bot.grammar.REGISTRY`` in the order ``help`` and Discord list them.
"""

from __future__ import annotations

# isort: off
from bot.commands import general, roster, bodies, elections, motions  # noqa: F401
from bot.commands import audit, dashboard, electorate, monitors, policy, schedule  # noqa: F401

# isort: on
from bot.commands.dispatch import dispatch as dispatch
from bot.grammar import REGISTRY as REGISTRY
from bot.grammar import Command as Command
from bot.grammar import Spec as Spec
from bot.grammar import find as find
from bot.grammar import parse as parse
from bot.grammar import parse_when as parse_when
from bot.grammar import tokenize as tokenize
