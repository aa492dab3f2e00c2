"""Discord interactions are acted on once.

The gateway may deliver the same ``INTERACTION_CREATE`` twice (a resume replays what the client may
already have seen), and without a check a ``/vote`` was cast again, a motion proposed twice, a yes->yes
change written to a public roll call. Each interaction's id is claimed in the shared ``seen_requests``
table (:mod:`governance.services.replay`) before it is acted on; a repeat — on this replica or another
— is ignored: it gets no answer (the first delivery answered, and Discord accepts one answer per
interaction). Autocomplete requests change nothing and are not claimed.
"""

from __future__ import annotations

import logging

import discord

from governance.services.replay import ReplayGuard

log = logging.getLogger(__name__)


async def first_delivery(guard: ReplayGuard, interaction: discord.Interaction) -> bool:
    """Whether to act on ``interaction``: True the first time its id is seen, False for a redelivery."""
    if interaction.type is discord.InteractionType.autocomplete:
        return True
    if await guard.first_time([f"discord:interaction:{interaction.id}"]):
        return True
    log.info("ignored a repeated Discord interaction %s", interaction.id)
    return False
