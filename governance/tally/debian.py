"""The Debian count: the Standard Resolution Procedure's vote counting, Debian constitution A.6.

Text followed (constitution v1.6 of 2015 onwards; the counting steps are unchanged in v1.9, 2022):

1. Ballots rank the options; unranked options rank equally, below every ranked option; equal ranks
   are allowed.
2. Quorum R: an option other than the default that does not receive at least R votes ranking it
   above the default option is dropped.
3. Majority: ``V(A, B)`` is the number of voters preferring A over B. A (non-default) option A is
   dropped unless it defeats the default option D by its majority ratio N (N = S for an option with
   an S:1 supermajority requirement, else 1). **Current rule** (since the "TC supermajority fix",
   constitution v1.6, December 2015): A passes iff ``V(A, D) >= N * V(D, A)`` *and*
   ``V(A, D) > V(D, A)``. **Historical rule** (v1.1 of June 2003 to v1.5, used for every vote in the
   shared data, 2003-2015): A passes iff ``V(A, D) > N * V(D, A)``. The two differ only when the ratio
   is exactly N with N > 1 (then the current rule passes the option); ``majority_rule="2003"`` selects
   the historical one. For N = 1 both demand a strict majority over the default.
4. Among the options left, A defeats B iff ``V(A, B) > V(B, A)``.
5-6. Transitive defeats and the Schwartz set (the options every option that beats them
   transitively is itself beaten by them transitively).
7. While there are defeats between options of the Schwartz set, drop the weakest such defeats and
   go back to step 5. ``(A, X)`` is weaker than ``(B, Y)`` if ``V(A, X) < V(B, Y)``, or if they are
   equal and ``V(X, A) > V(Y, B)``. All weakest defeats are dropped together.
8. With no defeats left in the Schwartz set, it holds the winner; if it holds several, the casting
   vote decides: here a lot drawn from the seed, recorded as a ``TieBreak``.

The result's ``ranking`` goes on past the winner with the same defeat strength (Schulze's beatpath
ranking, which gives the same first tier as the dropping procedure) over the options left after
steps 2-3, then the dropped options in one last tier. Rounds: 1 quorum, 2 majority, 3 the Schwartz
set dropping with every defeat dropped; the dropped options and why are in the rounds and notes.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from governance.tally._ballots import resolve_seed
from governance.tally.condorcet import (
    IntMatrix,
    _matrix_json,
    layers,
    pairwise,
    strongest_paths,
)
from governance.tally.errors import TallyInputError
from governance.tally.lot import lot_order
from governance.tally.profile import Profile
from governance.tally.result import Result, Round, TieBreak

BoolMatrix = npt.NDArray[np.bool_]


def _closure(defeats: BoolMatrix) -> BoolMatrix:
    """Transitive closure of a defeat relation (A.6(5)), boolean Floyd-Warshall."""
    reach = defeats.copy()
    for k in range(reach.shape[0]):
        reach |= reach[:, k : k + 1] & reach[k : k + 1, :]
    return reach


def schwartz_set(defeats: BoolMatrix, options: list[int]) -> list[int]:
    """The Schwartz set of ``options`` under ``defeats`` (A.6(6)).

    An option is in it if every option that transitively defeats it is transitively defeated by it.
    """
    reach = _closure(defeats)
    return [a for a in options if all(reach[a, b] or not reach[b, a] for b in options if b != a)]


def passes_majority(
    for_a: int, against_a: int, ratio: Fraction, rule: Literal["current", "2003"] = "current"
) -> bool:
    """Whether an option with ``for_a = V(A, D)`` and ``against_a = V(D, A)`` meets its N:1 ratio."""
    if rule == "2003":
        return for_a > ratio * against_a
    return for_a >= ratio * against_a and for_a > against_a


def debian(
    profile: Profile,
    *,
    default: int | None = None,
    supermajority: dict[int, Fraction] | None = None,
    quorum: Fraction | int | None = None,
    seed: str | None = None,
    majority_rule: Literal["current", "2003"] = "current",
) -> Result:
    """Count a Debian vote (constitution A.6): quorum and majority drops, then Schwartz set dropping.

    ``default`` is the 0-based index of the default option ("Further Discussion" / "None of the
    Above"), the last option when omitted. ``supermajority`` maps an option's 0-based index to its
    ratio N (N:1); ``quorum`` is R. ``majority_rule`` picks the current or the 2003-2015 comparison
    (see the module text). Returns one elected option and the rounds that explain each drop.
    """
    names = profile.candidates
    n = len(names)
    if n == 0:
        raise TallyInputError("there is no option to count")
    dflt = n - 1 if default is None else default
    if not 0 <= dflt < n:
        raise TallyInputError(f"the default option must be between 1 and {n} (1-based)")
    ratios: dict[int, Fraction] = {}
    for opt, ratio in (supermajority or {}).items():
        if not 0 <= opt < n:
            raise TallyInputError(f"supermajority names option {opt + 1}, but there are {n} options")
        if opt == dflt:
            raise TallyInputError("the default option cannot have a supermajority requirement")
        if ratio <= 0:
            raise TallyInputError("a supermajority ratio must be positive")
        ratios[opt] = Fraction(ratio)

    v = pairwise(profile)
    seed_text = resolve_seed(seed)
    notes: list[str] = []
    rounds: list[Round] = []
    withdrawn = set(profile.withdrawn) - {dflt}
    options = [i for i in range(n) if i not in withdrawn]

    # Step 2: quorum.
    dropped_quorum: list[int] = []
    if quorum is not None:
        for a in options:
            if a != dflt and int(v[a, dflt]) < quorum:
                dropped_quorum.append(a)
                notes.append(f"{names[a]} dropped: quorum ({v[a, dflt]} < {quorum} above the default)")
    rounds.append(
        Round(
            number=1,
            counts={names[a]: int(v[a, dflt]) for a in options if a != dflt},
            excluded=[names[a] for a in dropped_quorum],
            note=(
                f"quorum {quorum}: votes ranking each option above {names[dflt]}"
                if quorum is not None
                else "no quorum requirement"
            ),
            extra={"quorum": str(quorum) if quorum is not None else None},
        )
    )
    options = [a for a in options if a not in dropped_quorum]

    # Step 3: majority against the default option.
    dropped_majority: list[int] = []
    ratio_json: dict[str, str] = {}
    for a in options:
        if a == dflt:
            continue
        need = ratios.get(a, Fraction(1))
        for_a, against = int(v[a, dflt]), int(v[dflt, a])
        shown = f"{for_a}/{against}" + (f" = {for_a / against:.3f}" if against else "")
        ratio_json[names[a]] = f"{for_a}:{against} needs {need}:1"
        if not passes_majority(for_a, against, need, majority_rule):
            dropped_majority.append(a)
            notes.append(f"{names[a]} dropped: majority ({shown} does not meet {need}:1)")
    rounds.append(
        Round(
            number=2,
            counts={names[a]: int(v[a, dflt]) for a in options if a != dflt},
            excluded=[names[a] for a in dropped_majority],
            note=f"majority over {names[dflt]} ({majority_rule} rule); counts = V(option, default)",
            extra={"against_default": {names[a]: int(v[dflt, a]) for a in options if a != dflt}},
        )
    )
    options = [a for a in options if a not in dropped_majority]

    # Steps 4-8: defeats among the options left, Schwartz set, drop weakest defeats.
    defeats = np.zeros((n, n), dtype=np.bool_)
    for a in options:
        for b in options:
            if a != b and v[a, b] > v[b, a]:
                defeats[a, b] = True
    dropped_defeats: list[list[Any]] = []
    stages: list[list[str]] = []
    while True:
        schwartz = schwartz_set(defeats, options)
        stages.append([names[a] for a in schwartz])
        inside = [(a, b) for a in schwartz for b in schwartz if defeats[a, b]]
        if not inside:
            break
        weakest = min((int(v[a, b]), -int(v[b, a])) for a, b in inside)
        for a, b in inside:
            if (int(v[a, b]), -int(v[b, a])) == weakest:
                defeats[a, b] = False
                dropped_defeats.append([names[a], names[b], int(v[a, b]), int(v[b, a])])
    tie_breaks: list[TieBreak] = []
    if len(schwartz) == 1:
        winner = names[schwartz[0]]
    else:
        between = [names[a] for a in schwartz]
        winner = lot_order(seed_text, "casting vote", between)[0]
        tie_breaks.append(
            TieBreak(
                round=3,
                purpose="casting vote among the Schwartz set",
                between=between,
                rule="lot",
                chosen=winner,
                seed=seed_text,
            )
        )

    # The ranking beyond the winner: beatpath with Debian's defeat strength over the options left.
    ranking = _ranking(v, options, profile.total)
    ranking_names = [[names[a] for a in tier] for tier in ranking]
    if winner in ranking_names[0] and len(ranking_names[0]) > 1:
        ranking_names[0].remove(winner)
        ranking_names.insert(0, [winner])
    out_of_count = [names[a] for a in range(n) if a not in options]
    if out_of_count:
        ranking_names.append(out_of_count)
    rounds.append(
        Round(
            number=3,
            counts={names[a]: int(sum(1 for b in options if v[a, b] > v[b, a])) for a in options},
            elected=[winner],
            note="Schwartz set, dropping the weakest defeats; counts = pairwise victories",
            extra={
                "candidates": list(names),
                "pairwise": _matrix_json(v),
                "schwartz_sets": stages,
                "dropped_defeats": dropped_defeats,
            },
        )
    )
    params: dict[str, Any] = {
        "default": dflt + 1,
        "supermajority": {str(k + 1): str(r) for k, r in sorted(ratios.items())},
        "quorum": str(quorum) if quorum is not None else None,
        "majority_rule": majority_rule,
        "ratios": ratio_json,
    }
    if withdrawn:
        notes.append("withdrawn: " + ", ".join(names[i] for i in sorted(withdrawn)))
    return Result(
        method="debian",
        seats=1,
        candidates=list(names),
        elected=[winner],
        rounds=rounds,
        ranking=ranking_names,
        tie_breaks=tie_breaks,
        params=params,
        seed=seed_text,
        ballots=profile.total,
        notes=notes,
    )


def _ranking(v: IntMatrix, options: list[int], total: int) -> list[list[int]]:
    """Beatpath tiers with A.6(7)'s strength: more winning votes, then fewer votes against."""
    n = v.shape[0]
    strength = np.zeros((n, n), dtype=np.int64)
    for a in options:
        for b in options:
            if a != b and v[a, b] > v[b, a]:
                strength[a, b] = int(v[a, b]) * (total + 1) + (total - int(v[b, a])) + 1
    p = strongest_paths(strength)
    return layers(p > p.T, options)
