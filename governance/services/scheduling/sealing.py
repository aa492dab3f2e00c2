"""The periodic audit sealer: pending ballot events chained, ballots shuffled, chain heads anchored."""

from __future__ import annotations

from governance import audit, checkpoints, secrecy
from governance.services.common import Context
from governance.services.tasks import SCHEDULER


async def seal_pending(ctx: Context) -> dict[str, int]:
    """The periodic audit sealer: chain pending ballot events, shuffle their polls' ballots, anchor heads.

    For each stream with pending events, ``secrecy.seal_stream`` gives them their places in the chain
    and rewrites the poll's stored ballots in random order (on PostgreSQL, so that no ballot keeps the
    transaction stamp it shares with its voter's row for longer than a period); one transaction per
    stream, so one slow stream holds up no other. Then every stream whose head moved is anchored in the
    deployment-wide chain, so deleting or replacing a whole stream is found from then on. Returns the
    sealed streams' new head sequence numbers.
    """
    async with ctx.db.reading() as session:
        streams = await audit.pending_streams(session)
    sealed: dict[str, int] = {}
    for stream in streams:
        async with ctx.db.transaction() as session:
            sealed[stream] = await secrecy.seal_stream(session, stream)
    async with ctx.db.transaction() as session:
        await audit.anchor_all(session, actor=SCHEDULER.label, at=ctx.now())
        await checkpoints.periodic(session, ctx)  # at most hourly, when a head moved
    return sealed
