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
from collections.abc import Mapping, Sequence
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


def _default_option(
    n: int,
    default: int | None,
    no_default: bool,
    has_other_rules: bool,
) -> int | None:
    """The 0-based default option (the last one when omitted), or None for a count without one.

    ``has_other_rules`` says a quorum, a supermajority or ``default_elects_nobody`` was asked for:
    none of them has a meaning without a default option.
    """
    if no_default:
        if default is not None or has_other_rules:
            raise TallyInputError(
                "a count without a default option takes no default, quorum or supermajority"
            )
        return None
    dflt = n - 1 if default is None else default
    if not 0 <= dflt < n:
        raise TallyInputError(f"the default option must be between 1 and {n} (1-based)")
    return dflt


def _quorum(
    quorum: Fraction | int | str | None, electorate: int | None
) -> tuple[QuorumFigures | None, Fraction | int | None]:
    """Read the quorum R: the figures of a ``kQ`` rule, or R as a plain number (one of them or none)."""
    figures: QuorumFigures | None = None
    bound: Fraction | int | None = None
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
    return figures, bound


def _quorum_rule_round(
    v: IntMatrix, names: Sequence[str], options: list[int], dflt: int, figures: QuorumFigures
) -> tuple[list[int], list[str], Message, dict[str, Any]]:
    """Step 2 under a ``kQ`` rule: the options dropped, their notes, the round's note and figures."""
    dropped: list[int] = []
    notes: list[str] = []
    for a in options:
        if a != dflt and int(v[a, dflt]) < figures.needed:
            dropped.append(a)
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
    return dropped, notes, note, extra


def _quorum_number_round(
    v: IntMatrix, names: Sequence[str], options: list[int], dflt: int, bound: Fraction | int | None
) -> tuple[list[int], list[str], Message, dict[str, Any]]:
    """Step 2 with R a number (or no quorum): the options dropped, their notes, the round's note."""
    dropped: list[int] = []
    notes: list[str] = []
    if bound is not None:
        for a in options:
            if a != dflt and int(v[a, dflt]) < bound:
                dropped.append(a)
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
    return dropped, notes, note, {"quorum": str(bound) if bound is not None else None}


def _quorum_step(
    v: IntMatrix,
    names: Sequence[str],
    options: list[int],
    dflt: int | None,
    figures: QuorumFigures | None,
    bound: Fraction | int | None,
) -> tuple[Round, list[int], list[str]]:
    """Step 2 (A.6(2)): round 1, the options dropped for want of quorum and the notes saying why."""
    if dflt is None:
        note = Message(N_("no default option: no quorum requirement"))
        return Round(number=1, counts={}, note=note), [], []
    if figures is not None:
        dropped, notes, note, extra = _quorum_rule_round(v, names, options, dflt, figures)
    else:
        dropped, notes, note, extra = _quorum_number_round(v, names, options, dflt, bound)
    round_ = Round(
        number=1,
        counts={names[a]: int(v[a, dflt]) for a in options if a != dflt},
        excluded=[names[a] for a in dropped],
        note=note,
        extra=extra,
    )
    return round_, dropped, notes


def _majority_note(name: str, for_a: int, against: int, need: Fraction) -> Message:
    """Why an option fell short of its N:1 majority over the default (with the ratio when defined)."""
    fields: dict[str, object] = {"name": name, "votes": for_a, "against": against, "need": need}
    if against:
        return Message(
            N_("{name} dropped: majority ({votes}/{against} = {ratio} does not meet {need}:1)"),
            ratio=Decimal(f"{for_a / against:.3f}"),
            **fields,
        )
    return Message(N_("{name} dropped: majority ({votes}/{against} does not meet {need}:1)"), **fields)


def _majority_step(
    v: IntMatrix,
    names: Sequence[str],
    options: list[int],
    dflt: int | None,
    ratios: dict[int, Fraction],
    majority_rule: Literal["current", "2003"],
) -> tuple[Round, list[int], list[str], dict[str, str]]:
    """Step 3 (A.6(3)): round 2, the options dropped, their notes and each option's ratio as text."""
    if dflt is None:
        note = Message(N_("no default option: no majority requirement"))
        return Round(number=2, counts={}, note=note), [], [], {}
    dropped: list[int] = []
    notes: list[str] = []
    ratio_json: dict[str, str] = {}
    for a in options:
        if a == dflt:
            continue
        need = ratios.get(a, Fraction(1))
        for_a, against = int(v[a, dflt]), int(v[dflt, a])
        ratio_json[names[a]] = f"{for_a}:{against} needs {need}:1"
        if not passes_majority(for_a, against, need, majority_rule):
            dropped.append(a)
            notes.append(_majority_note(names[a], for_a, against, need))
    round_ = Round(
        number=2,
        counts={names[a]: int(v[a, dflt]) for a in options if a != dflt},
        excluded=[names[a] for a in dropped],
        note=Message(
            N_("majority over {default} (current rule); counts = V(option, default)")
            if majority_rule == "current"
            else N_("majority over {default} (2003 rule); counts = V(option, default)"),
            default=names[dflt],
        ),
        extra={"against_default": {names[a]: int(v[dflt, a]) for a in options if a != dflt}},
    )
    return round_, dropped, notes, ratio_json


def _drop_weakest_defeats(
    v: IntMatrix, names: Sequence[str], options: list[int]
) -> tuple[list[int], list[list[str]], list[list[Any]]]:
    """Steps 4-7: the final Schwartz set, the set at each stage and the defeats dropped on the way."""
    n = v.shape[0]
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
            return schwartz, stages, dropped_defeats
        weakest = min((int(v[a, b]), -int(v[b, a])) for a, b in inside)
        for a, b in inside:
            if (int(v[a, b]), -int(v[b, a])) == weakest:
                defeats[a, b] = False
                dropped_defeats.append([names[a], names[b], int(v[a, b]), int(v[b, a])])


def _casting_vote(schwartz: list[int], names: Sequence[str], seed_text: str) -> tuple[str, list[TieBreak]]:
    """Step 8: the Schwartz set's only option, or the lot's pick among several (recorded as a tie break)."""
    if len(schwartz) == 1:
        return names[schwartz[0]], []
    between = [names[a] for a in schwartz]
    winner = lot_order(seed_text, "casting vote", between)[0]
    tie = TieBreak(
        round=3,
        purpose="casting vote among the Schwartz set",
        between=between,
        rule="lot",
        chosen=winner,
        seed=seed_text,
    )
    return winner, [tie]


def _ranking_names(
    v: IntMatrix, names: Sequence[str], options: list[int], total: int, winner: str
) -> list[list[str]]:
    """The result's ranking: the winner alone first, beatpath tiers of the rest, then dropped options."""
    ranking_names = [[names[a] for a in tier] for tier in _ranking(v, options, total)]
    if winner in ranking_names[0] and len(ranking_names[0]) > 1:
        ranking_names[0].remove(winner)
        ranking_names.insert(0, [winner])
    out_of_count = [names[a] for a in range(len(names)) if a not in options]
    if out_of_count:
        ranking_names.append(out_of_count)
    return ranking_names


def _debian_params(
    dflt: int | None,
    ratios: dict[int, Fraction],
    figures: QuorumFigures | None,
    bound: Fraction | int | None,
    majority_rule: str,
    ratio_json: dict[str, str],
    default_elects_nobody: bool,
) -> dict[str, Any]:
    """The parameters the result records, enough to recount it the same way."""
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
    return params


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
    other_rules = bool(supermajority) or quorum is not None or default_elects_nobody
    dflt = _default_option(n, default, no_default, other_rules)
    ratios = _ratios(supermajority, n, dflt)
    figures, bound = _quorum(quorum, electorate)

    v = pairwise(profile)
    seed_text = resolve_seed(seed)
    withdrawn = set(profile.withdrawn) - {dflt}
    options = [i for i in range(n) if i not in withdrawn]

    quorum_round, dropped, notes = _quorum_step(v, names, options, dflt, figures, bound)
    options = [a for a in options if a not in dropped]
    majority_round, dropped, majority_notes, ratio_json = _majority_step(
        v, names, options, dflt, ratios, majority_rule
    )
    notes += majority_notes
    options = [a for a in options if a not in dropped]

    schwartz, stages, dropped_defeats = _drop_weakest_defeats(v, names, options)
    winner, tie_breaks = _casting_vote(schwartz, names, seed_text)
    nobody = default_elects_nobody and dflt is not None and winner == names[dflt]
    elected = [] if nobody else [winner]
    if nobody:
        notes.append(Message(N_("{name} (the default option) won: no one is elected"), name=winner))

    last_round = Round(
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
    params = _debian_params(dflt, ratios, figures, bound, majority_rule, ratio_json, default_elects_nobody)
    if withdrawn:
        notes.append(withdrawn_note([names[i] for i in sorted(withdrawn)]))
    return Result(
        method="debian",
        seats=1,
        candidates=list(names),
        elected=elected,
        rounds=[quorum_round, majority_round, last_round],
        ranking=_ranking_names(v, names, options, profile.total, winner),
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
