"""Fixtures for charts and the transparency site: the sample alliance with an election and motions run
to their end through the services, on both database backends."""

from __future__ import annotations

import pytest

from governance import seed
from governance.services.common import Context
from tests.factories import Run, run_board_election, run_motions


@pytest.fixture
async def run(ctx: Context) -> Run:
    """The sample alliance with the board election certified and two TOC motions closed."""
    await seed.seed(ctx)
    board = await run_board_election(ctx)
    (roll_id, roll), (charter_id, charter) = await run_motions(ctx)
    return Run(ctx, board, roll, roll_id, charter, charter_id)
