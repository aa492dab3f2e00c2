"""Drawing lots that anyone can repeat: a published seed decides, not the machine's randomness.

Each candidate in a tie gets the SHA-256 of ``"<seed>|<context>|<name>"``; the lowest digest wins the
draw. Anyone with the seed and the candidate names reproduces the draw with any SHA-256 tool, in any
language, which Python's ``random`` module does not promise across versions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def lot_order(seed: str, context: str, names: Sequence[str]) -> list[str]:
    """The names in the order the lot puts them (first = chosen first)."""
    return sorted(names, key=lambda name: hashlib.sha256(f"{seed}|{context}|{name}".encode()).hexdigest())


def draw(seed: str, context: str, names: Sequence[str]) -> str:
    """The one name the lot picks among ``names`` for the given context (e.g. "round 3 exclude")."""
    if not names:
        raise ValueError("cannot draw a lot among no candidates")
    return lot_order(seed, context, names)[0]
