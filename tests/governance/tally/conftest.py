"""Shared fixtures for the tally tests: the real-election data beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).parents[4] / "shared" / "data" / "elections"
"""The shared election data (``../shared/data/elections`` from the repository root); CI has it."""


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real-election data directory; its absence is an error, not a skip."""
    assert DATA.is_dir(), f"election data missing at {DATA}"
    return DATA
