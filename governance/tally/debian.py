"""The Debian count: the Standard Resolution Procedure's vote counting, Debian constitution A.6.

Text followed (constitution v1.6 of 2015 onwards; the counting steps are unchanged in v1.9, 2022):

1. Ballots rank the options; unranked options rank equally, below every ranked option; equal ranks
   are allowed.
2. Quorum R: an option other than the default that does not receive at least R votes ranking it
   above the default option is dropped. R is a number, or a rule ``"kQ"`` (Debian's §4.2: "3Q") with
   Q half the square root of the electorate (the number of current Developers), given as
   ``electorate``; R is then usually irrational, and the test is made exactly in integers (an
   option needs the least whole number of votes V with V >= R, i.e. 4V² >= k²N).
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

A person election (a Project Leader's) puts a synthetic default option, "None Of The Above", beside
the candidates: with ``default_elects_nobody`` the default option winning elects no one (``elected``
is empty and a note says so). A count without a default option (``no_default``) skips steps 2-3.

The result's ``ranking`` goes on past the winner with the same defeat strength (Schulze's beatpath
ranking, which gives the same first tier as the dropping procedure) over the options left after
steps 2-3, then the dropped options in one last tier. Rounds: 1 quorum, 2 majority, 3 the Schwartz
set dropping with every defeat dropped; the dropped options and why are in the rounds and notes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from governance.i18n import N_
from governance.tally._ballots import resolve_seed, wide
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
from governance.tally.result import Message, Result, Round, TieBreak, withdrawn_note

BoolMatrix = npt.NDArray[np.bool_]
QUORUM_RULE = re.compile(r"^\s*(?P<k>\d+(?:\.\d+)?(?:/[1-9]\d*)?)?\s*Q\s*$")
"""A quorum written as a multiple of Q: ``3Q``, ``1.5Q``, ``Q``."""
Ratio = Fraction | int | str
SHOWN = Decimal("0.000001")  # Q and R are recorded to six decimals (devotee prints fifteen digits)


def quorum_multiple(rule: object) -> Fraction | None:
    """The k of a quorum rule ``"kQ"`` (``"3Q"`` -> 3), or None when ``rule`` is not such a rule."""
    if not isinstance(rule, str):
        return None
    match = QUORUM_RULE.match(rule)
    if match is None:
        return None
    return Fraction(match["k"]) if match["k"] else Fraction(1)


@dataclass(frozen=True, slots=True)
class QuorumFigures:
    """A quorum rule ``kQ`` applied to an electorate: Q, R = kQ, and the whole votes R asks for."""

    rule: str
    electorate: int
    q: str  # half the square root of the electorate, to six decimals (trailing zeros dropped)
    r: str  # kQ, to six decimals
    needed: int  # the least whole number of votes that is at least R (exact, not from the decimals)


def quorum_figures(rule: str, electorate: int) -> QuorumFigures:
    """Apply a quorum rule such as ``"3Q"`` (Q = sqrt(electorate) / 2) to an electorate."""
    k = quorum_multiple(rule)
    if k is None:
        raise TallyInputError(f"quorum {rule!r} is not a number or a rule like 3Q")
    if isinstance(electorate, bool) or not isinstance(electorate, int) or electorate < 0:
        raise TallyInputError(f"the electorate must be a whole number of voters, got {electorate!r}")
    with localcontext() as exact:
        exact.prec = 40
        q = Decimal(electorate).sqrt() / 2
        r = q * Decimal(k.numerator) / Decimal(k.denominator)
    # V >= k*sqrt(N)/2  <=>  2*den*V >= sqrt(num^2 * N): compare with the integer ceiling of that root.
    square = k.numerator**2 * electorate
    root = math.isqrt(square)
    ceiling = root if root * root == square else root + 1
    needed = -(-ceiling // (2 * k.denominator))
    return QuorumFigures(
        rule.strip(),
        electorate,
        _shown(q),
        _shown(r),
        needed,
    )


def _shown(value: Decimal) -> str:
    return f"{value.quantize(SHOWN, rounding=ROUND_HALF_EVEN):f}".rstrip("0").rstrip(".")


def repeat_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments (JSON values only) that repeat a recorded debian count from its ``params``.

    An audit bundle carries them, so that an offline re-count uses the default option, quorum (with the
    electorate it was computed from) and majority ratios the count used.
    """
    out: dict[str, Any] = {}
    if params.get("default") is None:
        out["no_default"] = True
    else:
        out["default"] = int(params["default"]) - 1
    if params.get("supermajority"):
        out["supermajority"] = {str(int(k) - 1): str(v) for k, v in params["supermajority"].items()}
    if params.get("quorum") is not None:
        out["quorum"] = str(params["quorum"])
    if params.get("electorate") is not None:
        out["electorate"] = int(params["electorate"])
    if params.get("majority_rule", "current") != "current":
        out["majority_rule"] = params["majority_rule"]
    if params.get("default_elects_nobody"):
        out["default_elects_nobody"] = True
    return out


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


def _ratio(value: Ratio, what: str) -> Fraction:
    try:
        ratio = Fraction(value)
    except (TypeError, ValueError, ZeroDivisionError):
        raise TallyInputError(f"{what} must be a number like 3 or 3/2, got {value!r}") from None
    if ratio <= 0:
        raise TallyInputError("a supermajority ratio must be positive")
    return ratio


def _ratios(
    supermajority: Mapping[int, Ratio] | Mapping[str, Ratio] | Ratio | None, n: int, dflt: int | None
) -> dict[int, Fraction]:
    """Each option's N of its N:1 majority: per option (0-based keys, ints or their text), or one ratio
    for every option but the default."""
    if supermajority is None:
        return {}
    if not isinstance(supermajority, Mapping):
        ratio = _ratio(supermajority, "a supermajority ratio")
        return {i: ratio for i in range(n) if i != dflt}
    ratios: dict[int, Fraction] = {}
    for key, value in supermajority.items():
        opt = int(key)
        if not 0 <= opt < n:
            raise TallyInputError(f"supermajority names option {opt + 1}, but there are {n} options")
        if opt == dflt:
            raise TallyInputError("the default option cannot have a supermajority requirement")
        ratios[opt] = _ratio(value, "a supermajority ratio")
    return ratios


def debian(
    profile: Profile,
    *,
    default: int | None = None,
    supermajority: Mapping[int, Ratio] | Mapping[str, Ratio] | Ratio | None = None,
    quorum: Fraction | int | str | None = None,
    electorate: int | None = None,
    seed: str | None = None,
    majority_rule: Literal["current", "2003"] = "current",
    default_elects_nobody: bool = False,
    no_default: bool = False,
) -> Result:
    """Count a Debian vote (constitution A.6): quorum and majority drops, then Schwartz set dropping.

    ``default`` is the 0-based index of the default option ("Further Discussion" / "None of the
    Above"), the last option when omitted; ``no_default`` counts without one (no quorum, no majority
    test). ``supermajority`` maps an option's 0-based index to its ratio N (N:1), or is one ratio for
    every option. ``quorum`` is R: a number, or a rule ``"kQ"`` computed from ``electorate`` (the
    figures are recorded in the params and the first round). ``majority_rule`` picks the current or
    the 2003-2015 comparison (see the module text). ``default_elects_nobody``: the default option is
    not a candidate, so its winning elects nobody. Returns at most one elected option and the rounds
    that explain each drop.
    """
    names = profile.candidates
    n = len(names)
    if n == 0:
        raise TallyInputError("there is no option to count")
    dflt: int | None
    if no_default:
        if default is not None or supermajority or quorum is not None or default_elects_nobody:
            raise TallyInputError(
                "a count without a default option takes no default, quorum or supermajority"
            )
        dflt = None
    else:
        dflt = n - 1 if default is None else default
        if not 0 <= dflt < n:
            raise TallyInputError(f"the default option must be between 1 and {n} (1-based)")
    ratios = _ratios(supermajority, n, dflt)
    figures: QuorumFigures | None = None
    bound: Fraction | int | None = None  # R as a number
    if isinstance(quorum, str):
        if quorum_multiple(quorum) is not None:
            if electorate is None:
                raise TallyInputError(f"the quorum {quorum.strip()} needs the size of the electorate")
            figures = quorum_figures(quorum, electorate)
        else:
            try:
                bound = Fraction(quorum)
            except (ValueError, ZeroDivisionError):
                raise TallyInputError(f"quorum {quorum!r} is not a number or a rule like 3Q") from None
    else:
        bound = quorum
    if electorate is not None and figures is None:
        raise TallyInputError("an electorate applies only to a quorum rule such as 3Q")

    v = pairwise(profile)
    seed_text = resolve_seed(seed)
    notes: list[str] = []
    rounds: list[Round] = []
    withdrawn = set(profile.withdrawn) - {dflt}
    options = [i for i in range(n) if i not in withdrawn]

    # Step 2: quorum.
    dropped_quorum: list[int] = []
    if dflt is None:
        rounds.append(
            Round(number=1, counts={}, note=Message(N_("no default option: no quorum requirement")))
        )
    else:
        if figures is not None:
            for a in options:
                if a != dflt and int(v[a, dflt]) < figures.needed:
                    dropped_quorum.append(a)
                    notes.append(
                        Message(
                            N_("{name} dropped: quorum ({votes} < R = {r} above the default)"),
                            name=names[a],
                            votes=int(v[a, dflt]),
                            r=Decimal(figures.r),
                        )
                    )
            note = Message(
                N_(
                    "quorum {rule} = {r} (Q = {q}, electorate {electorate}): votes ranking each option above "
                    "{default}"
                ),
                rule=figures.rule,
                r=Decimal(figures.r),
                q=Decimal(figures.q),
                electorate=figures.electorate,
                default=names[dflt],
            )
            extra: dict[str, Any] = {
                "quorum": figures.rule,
                "electorate": figures.electorate,
                "Q": figures.q,
                "R": figures.r,
                "votes_needed": figures.needed,
            }
        else:
            if bound is not None:
                for a in options:
                    if a != dflt and int(v[a, dflt]) < bound:
                        dropped_quorum.append(a)
                        notes.append(
                            Message(
                                N_("{name} dropped: quorum ({votes} < {quorum} above the default)"),
                                name=names[a],
                                votes=int(v[a, dflt]),
                                quorum=bound,
                            )
                        )
            note = (
                Message(
                    N_("quorum {quorum}: votes ranking each option above {default}"),
                    quorum=bound,
                    default=names[dflt],
                )
                if bound is not None
                else Message(N_("no quorum requirement"))
            )
            extra = {"quorum": str(bound) if bound is not None else None}
        rounds.append(
            Round(
                number=1,
                counts={names[a]: int(v[a, dflt]) for a in options if a != dflt},
                excluded=[names[a] for a in dropped_quorum],
                note=note,
                extra=extra,
            )
        )
    options = [a for a in options if a not in dropped_quorum]

    # Step 3: majority against the default option.
    dropped_majority: list[int] = []
    ratio_json: dict[str, str] = {}
    if dflt is None:
        rounds.append(
            Round(number=2, counts={}, note=Message(N_("no default option: no majority requirement")))
        )
    else:
        for a in options:
            if a == dflt:
                continue
            need = ratios.get(a, Fraction(1))
            for_a, against = int(v[a, dflt]), int(v[dflt, a])
            ratio_json[names[a]] = f"{for_a}:{against} needs {need}:1"
            if not passes_majority(for_a, against, need, majority_rule):
                dropped_majority.append(a)
                fields: dict[str, object] = {
                    "name": names[a],
                    "votes": for_a,
                    "against": against,
                    "need": need,
                }
                notes.append(
                    Message(
                        N_("{name} dropped: majority ({votes}/{against} = {ratio} does not meet {need}:1)"),
                        ratio=Decimal(f"{for_a / against:.3f}"),
                        **fields,
                    )
                    if against
                    else Message(
                        N_("{name} dropped: majority ({votes}/{against} does not meet {need}:1)"), **fields
                    )
                )
        rounds.append(
            Round(
                number=2,
                counts={names[a]: int(v[a, dflt]) for a in options if a != dflt},
                excluded=[names[a] for a in dropped_majority],
                note=Message(
                    N_("majority over {default} (current rule); counts = V(option, default)")
                    if majority_rule == "current"
                    else N_("majority over {default} (2003 rule); counts = V(option, default)"),
                    default=names[dflt],
                ),
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
    nobody = default_elects_nobody and dflt is not None and winner == names[dflt]
    elected = [] if nobody else [winner]
    if nobody:
        notes.append(Message(N_("{name} (the default option) won: no one is elected"), name=winner))

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
            elected=elected,
            note=Message(N_("Schwartz set, dropping the weakest defeats; counts = pairwise victories")),
            extra={
                "candidates": list(names),
                "pairwise": _matrix_json(v),
                "schwartz_sets": stages,
                "dropped_defeats": dropped_defeats,
                **({"winner": winner} if nobody else {}),
            },
        )
    )
    params: dict[str, Any] = {
        "default": dflt + 1 if dflt is not None else None,
        "supermajority": {str(k + 1): str(r) for k, r in sorted(ratios.items())},
        "quorum": figures.rule if figures is not None else (str(bound) if bound is not None else None),
        "majority_rule": majority_rule,
        "ratios": ratio_json,
    }
    if figures is not None:
        params.update(electorate=figures.electorate, Q=figures.q, R=figures.r, votes_needed=figures.needed)
    if default_elects_nobody:
        params["default_elects_nobody"] = True
    if withdrawn:
        notes.append(withdrawn_note([names[i] for i in sorted(withdrawn)]))
    return Result(
        method="debian",
        seats=1,
        candidates=list(names),
        elected=elected,
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
    # Strengths reach (total + 1)²: Python integers once that could pass int64's range, never wrapped.
    strength = np.zeros((n, n), dtype=object if wide(total + 1, total + 1) else np.int64)
    for a in options:
        for b in options:
            if a != b and v[a, b] > v[b, a]:
                strength[a, b] = int(v[a, b]) * (total + 1) + (total - int(v[b, a])) + 1
    p = strongest_paths(strength)
    return layers(p > p.T, options)
