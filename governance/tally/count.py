"""One entry point for every counting method: ``count(method, profile, seats, ...)``.

``METHODS`` names the methods a charter may ask for. Each is looked up (and its module imported)
only when used, so a missing optional method never breaks the others. Every method takes the seed for
lots and, where it elects several candidates, an optional per-group cap; method-specific options are
passed as keyword arguments (e.g. ``overvote`` for IRV; ``default``, ``supermajority`` and ``quorum``
for Debian).

Score ballots (STAR, cumulative voting) are not rankings: they have their own profile
(``governance.tally.scores.ScoreProfile``), their own table ``SCORE_METHODS`` and their own entry
point ``count_scores(method, scores, seats, ...)``, with the same seed, caps and options.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from governance.tally.caps import GroupCap
from governance.tally.errors import TallyInputError
from governance.tally.profile import Profile
from governance.tally.result import Result
from governance.tally.scores import ScoreProfile

# method name -> (module, function, how seats are passed)
METHODS: dict[str, tuple[str, str]] = {
    "plurality": ("governance.tally.plurality", "plurality"),
    "approval": ("governance.tally.plurality", "approval"),
    "irv": ("governance.tally.irv", "irv"),
    "stv-scottish": ("governance.tally.stv_scottish", "stv_scottish"),
    "stv-meek": ("governance.tally.stv_meek", "stv_meek"),
    "schulze": ("governance.tally.condorcet", "schulze"),
    "ranked-pairs": ("governance.tally.condorcet", "ranked_pairs"),
    "debian": ("governance.tally.debian", "debian"),
    "condorcet-irv": ("governance.tally.condorcet_irv", "condorcet_irv"),
}
"""Every method ``count`` knows, by the name used in policies and on the command line."""

SCORE_METHODS: dict[str, tuple[str, str]] = {
    "star": ("governance.tally.star", "star"),
    "cumulative": ("governance.tally.cumulative", "cumulative"),
}
"""The methods ``count_scores`` knows: they count score ballots (``ScoreProfile``), not rankings."""


def method_function(method: str, table: dict[str, tuple[str, str]] = METHODS) -> Callable[..., Result]:
    """The function that counts ``method`` (``TallyInputError`` for an unknown or unavailable one)."""
    try:
        module_name, attr = table[method]
    except KeyError:
        known = ", ".join(table)
        raise TallyInputError(f"unknown counting method {method!r}; choose one of {known}") from None
    try:
        module = importlib.import_module(module_name)
        fn: Callable[..., Result] = getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise TallyInputError(f"counting method {method!r} is not available in this build: {exc}") from exc
    return fn


def count(
    method: str,
    profile: Profile,
    seats: int,
    *,
    seed: str | None = None,
    caps: GroupCap | None = None,
    **params: Any,
) -> Result:
    """Count ``profile`` with ``method`` for ``seats`` seats and return the full ``Result``.

    ``debian`` decides one option (``seats`` must be 1) and takes no caps. Unknown methods and
    options that do not apply raise ``TallyInputError`` with a message fit to show a person.
    """
    fn = method_function(method)
    if method == "debian":
        if seats != 1:
            raise TallyInputError("debian chooses one winning option; use --seats 1")
        if caps is not None:
            raise TallyInputError("debian does not take group caps")
        return fn(profile, seed=seed, **params)
    try:
        return fn(profile, seats, seed=seed, caps=caps, **params)
    except TypeError as exc:
        if params and "unexpected keyword" in str(exc):
            raise TallyInputError(
                f"{method} does not take the option(s) {', '.join(sorted(params))}"
            ) from exc
        raise


def count_scores(
    method: str,
    scores: ScoreProfile,
    seats: int,
    *,
    seed: str | None = None,
    caps: GroupCap | None = None,
    **params: Any,
) -> Result:
    """Count score ballots with ``method`` (one of ``SCORE_METHODS``) for ``seats`` seats.

    The score methods' own entry point, as ``count`` is for rankings; an option the method does not
    take raises ``TallyInputError`` naming it.
    """
    fn = method_function(method, SCORE_METHODS)
    try:
        return fn(scores, seats, seed=seed, caps=caps, **params)
    except TypeError as exc:
        if params and "unexpected keyword" in str(exc):
            raise TallyInputError(
                f"{method} does not take the option(s) {', '.join(sorted(params))}"
            ) from exc
        raise
