"""Yes/no/abstain motions: quorum, then a threshold of yes votes over a chosen base.

The rule, as a charter states it:

* **Quorum** is met when the members taking part number at least ``quorum`` × ``seated``
  (``participation >= quorum * seated``). Taking part means voting yes or no, plus abstaining when
  ``quorum_counts_abstentions`` is true.
* **Threshold** compares the yes votes with a base chosen by ``threshold_of``:

  - ``"cast"``: yes + no + abstain (an abstention then weighs like a no);
  - ``"cast_excluding_abstentions"``: yes + no (abstentions are neutral);
  - ``"seated"``: every seated member (silence weighs like a no).

* **Strict or not.** A simple majority means *more than half*: ``yes / base > 1/2``. A supermajority
  written as a fraction (2/3, 3/5, 3/4) or unanimity (1) means *at least* that fraction:
  ``yes / base >= 2/3``. That is the default (``strict=None``): a threshold of exactly 1/2 is strict,
  any other threshold is "at least". Pass ``strict=True`` or ``strict=False`` to override it
  (e.g. ``threshold=Fraction(2, 3), strict=True`` for "more than two thirds").
* A motion with an empty base (nobody cast a counting vote) does not pass.

All arithmetic is exact (integers and ``Fraction``), so a count can be re-done and compared exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from governance.i18n import DEFAULT_LOCALE, N_, negotiate, translate

ThresholdBase = Literal["cast", "cast_excluding_abstentions", "seated"]
_BASES: tuple[str, ...] = ("cast", "cast_excluding_abstentions", "seated")

SIMPLE_MAJORITY = Fraction(1, 2)
TWO_THIRDS = Fraction(2, 3)
UNANIMITY = Fraction(1)


@dataclass(frozen=True, slots=True)
class MotionResult:
    """The outcome of a motion with every figure needed to check it by hand."""

    passed: bool
    quorum_met: bool
    yes: int
    no: int
    abstain: int
    seated: int
    participation: int
    quorum: Fraction
    quorum_needed: int
    quorum_counts_abstentions: bool
    threshold: Fraction
    threshold_of: ThresholdBase
    strict: bool
    base: int
    yes_needed: int
    reason: str

    @property
    def counts(self) -> dict[str, int]:
        """The votes as cast: yes, no, abstain."""
        return {"yes": self.yes, "no": self.no, "abstain": self.abstain}

    def to_json(self) -> dict[str, Any]:
        """The result as a JSON-ready dict; fractions are written as "p/q" strings."""
        return {
            "passed": self.passed,
            "quorum_met": self.quorum_met,
            "counts": self.counts,
            "seated": self.seated,
            "participation": self.participation,
            "quorum": str(self.quorum),
            "quorum_needed": self.quorum_needed,
            "quorum_counts_abstentions": self.quorum_counts_abstentions,
            "threshold": str(self.threshold),
            "threshold_of": self.threshold_of,
            "comparison": ">" if self.strict else ">=",
            "base": self.base,
            "yes_needed": self.yes_needed,
            "reason": self.reason,
        }


def is_strict(threshold: Fraction, strict: bool | None) -> bool:
    """Whether ``yes/base`` must exceed ``threshold`` (True) or only reach it (False).

    The default reads a threshold of exactly 1/2 as a simple majority (more than half) and any other
    threshold as a supermajority to reach (at least 2/3, at least 3/4, unanimity).
    """
    if strict is not None:
        return strict
    return threshold == SIMPLE_MAJORITY


def _ceil_frac(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)


def yes_needed(base: int, threshold: Fraction, strict: bool) -> int:
    """The fewest yes votes out of ``base`` that meet the threshold (``base + 1`` if none can)."""
    if base <= 0:
        return 1
    exact = threshold * base
    if strict:
        return exact.numerator // exact.denominator + 1
    return max(_ceil_frac(exact), 1 if threshold > 0 else 0)


def _validate(
    yes: int, no: int, abstain: int, seated: int, quorum: Fraction, threshold: Fraction, threshold_of: str
) -> None:
    if min(yes, no, abstain) < 0:
        raise ValueError("vote counts cannot be negative")
    if seated < 0:
        raise ValueError("the number of seated members cannot be negative")
    if yes + no + abstain > seated:
        raise ValueError(f"{yes + no + abstain} votes cast but only {seated} members are seated")
    if not 0 <= quorum <= 1:
        raise ValueError(f"quorum must be a fraction between 0 and 1, got {quorum}")
    if not 0 <= threshold <= 1:
        raise ValueError(f"threshold must be a fraction between 0 and 1, got {threshold}")
    if threshold_of not in _BASES:
        raise ValueError(f"threshold_of must be one of {', '.join(_BASES)}, got {threshold_of!r}")


Say = Callable[..., str]
"""How a sentence is built from an English message id and named fields: in English for the stored
reason (:func:`english`), in a reader's locale to show it (``governance.i18n.translate``), or as a
``Translated`` to be queued and shown later in each recipient's locale (``governance.i18n.gettext``)."""


def english(msgid: str, /, **fields: object) -> str:
    """The English sentence (what results store and a re-count compares)."""
    return msgid.format(**fields)


_QUORUM_PARTS = {
    (True, True): N_("quorum met ({participation} members voting, {needed} needed of {seated} seated)"),
    (True, False): N_(
        "quorum met ({participation} members voting yes or no, {needed} needed of {seated} seated)"
    ),
    (False, True): N_("quorum not met ({participation} members voting, {needed} needed of {seated} seated)"),
    (False, False): N_(
        "quorum not met ({participation} members voting yes or no, {needed} needed of {seated} seated)"
    ),
}
_EMPTY_BASE = {
    "cast": N_("no votes cast (yes + no + abstain) to measure the threshold against"),
    "cast_excluding_abstentions": N_(
        "no votes cast excluding abstentions (yes + no) to measure the threshold against"
    ),
    "seated": N_("no seated members to measure the threshold against"),
}
_THRESHOLD_PARTS = {
    (True, "cast"): N_(
        "threshold met: {yes} yes of {base} votes cast (yes + no + abstain), rule yes/base {comparison} "
        "{threshold} needs {needed} yes"
    ),
    (False, "cast"): N_(
        "threshold not met: {yes} yes of {base} votes cast (yes + no + abstain), rule yes/base {comparison} "
        "{threshold} needs {needed} yes"
    ),
    (True, "cast_excluding_abstentions"): N_(
        "threshold met: {yes} yes of {base} votes cast excluding abstentions (yes + no), rule yes/base "
        "{comparison} {threshold} needs {needed} yes"
    ),
    (False, "cast_excluding_abstentions"): N_(
        "threshold not met: {yes} yes of {base} votes cast excluding abstentions (yes + no), rule yes/base "
        "{comparison} {threshold} needs {needed} yes"
    ),
    (True, "seated"): N_(
        "threshold met: {yes} yes of {base} seated members, rule yes/base {comparison} {threshold} needs "
        "{needed} yes"
    ),
    (False, "seated"): N_(
        "threshold not met: {yes} yes of {base} seated members, rule yes/base {comparison} {threshold} "
        "needs {needed} yes"
    ),
}


def reason_for(result: Mapping[str, Any], say: Say = english) -> str:
    """Why a counted motion passed or failed, from its figures (as ``MotionResult.to_json`` keeps them).

    One sentence per case, so that a translation reads whole: quorum met or not (counting abstentions or
    not), then the threshold against its base, or the empty base it could not be measured against.
    """
    quorum = say(
        _QUORUM_PARTS[bool(result["quorum_met"]), bool(result["quorum_counts_abstentions"])],
        participation=result["participation"],
        needed=result["quorum_needed"],
        seated=result["seated"],
    )
    of = str(result["threshold_of"])
    if not result["base"]:
        threshold = say(_EMPTY_BASE[of])
    else:
        met = int(result["counts"]["yes"]) >= int(result["yes_needed"])
        threshold = say(
            _THRESHOLD_PARTS[met, of],
            yes=result["counts"]["yes"],
            base=result["base"],
            comparison=result["comparison"],
            threshold=result["threshold"],
            needed=result["yes_needed"],
        )
    if result["passed"]:
        return say(N_("Passed: {quorum}; {threshold}."), quorum=quorum, threshold=threshold)
    return say(N_("Failed: {quorum}; {threshold}."), quorum=quorum, threshold=threshold)


def lazy_reason(objections: int, say: Say = english) -> str:
    """Why a motion under lazy consensus passed (nobody objected) or failed (someone voted no)."""
    if not objections:
        return say(N_("Passed by lazy consensus: nobody objected before the deadline."))
    if objections == 1:
        return say(N_("Failed: {n} objection under lazy consensus."), n=objections)
    return say(N_("Failed: {n} objections under lazy consensus."), n=objections)


def reason_in(result: Mapping[str, Any], say: Say) -> str | None:
    """A stored motion result's reason built again with ``say`` (e.g. in a reader's locale), or None
    when the stored English is not one this module writes (then show it as stored)."""
    stored = result.get("reason")
    try:
        if reason_for(result) == stored:
            return reason_for(result, say)
        counts = result.get("counts") or {}
        objections = int(counts.get("no", 0))
        if lazy_reason(objections) == stored:
            return lazy_reason(objections, say)
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return None


def reason_text(result: Mapping[str, Any], locale: str) -> str:
    """A stored motion result's reason in ``locale`` (as stored, in English, if it cannot be rebuilt)."""
    stored = str(result.get("reason", ""))
    chosen = negotiate(locale)
    if chosen == DEFAULT_LOCALE:
        return stored
    return reason_in(result, lambda msgid, /, **fields: translate(msgid, chosen, **fields)) or stored


def count_motion(
    yes: int,
    no: int,
    abstain: int = 0,
    *,
    seated: int,
    quorum: Fraction = Fraction(0),
    quorum_counts_abstentions: bool = True,
    threshold: Fraction = SIMPLE_MAJORITY,
    threshold_of: ThresholdBase = "cast_excluding_abstentions",
    strict: bool | None = None,
) -> MotionResult:
    """Decide a motion from its yes/no/abstain counts under the charter's quorum and threshold.

    See the module docstring for the exact comparisons. Raises ``ValueError`` on impossible input
    (negative counts, more votes than seated members, fractions outside [0, 1]).
    """
    quorum = Fraction(quorum)
    threshold = Fraction(threshold)
    _validate(yes, no, abstain, seated, quorum, threshold, threshold_of)
    strict_ = is_strict(threshold, strict)
    participation = yes + no + (abstain if quorum_counts_abstentions else 0)
    quorum_needed = _ceil_frac(quorum * seated)
    quorum_met = participation >= quorum_needed
    base = {"cast": yes + no + abstain, "cast_excluding_abstentions": yes + no, "seated": seated}[
        threshold_of
    ]
    needed = yes_needed(base, threshold, strict_)
    threshold_met = base > 0 and yes >= needed
    passed = quorum_met and threshold_met

    reason = reason_for(
        {
            "passed": passed,
            "quorum_met": quorum_met,
            "counts": {"yes": yes},
            "seated": seated,
            "participation": participation,
            "quorum_needed": quorum_needed,
            "quorum_counts_abstentions": quorum_counts_abstentions,
            "threshold": str(threshold),
            "threshold_of": threshold_of,
            "comparison": ">" if strict_ else ">=",
            "base": base,
            "yes_needed": needed,
        }
    )
    return MotionResult(
        passed=passed,
        quorum_met=quorum_met,
        yes=yes,
        no=no,
        abstain=abstain,
        seated=seated,
        participation=participation,
        quorum=quorum,
        quorum_needed=quorum_needed,
        quorum_counts_abstentions=quorum_counts_abstentions,
        threshold=threshold,
        threshold_of=threshold_of,
        strict=strict_,
        base=base,
        yes_needed=needed,
        reason=reason,
    )


def settled(
    yes: int,
    no: int,
    abstain: int = 0,
    *,
    seated: int,
    remaining: int,
    quorum: Fraction = Fraction(0),
    quorum_counts_abstentions: bool = True,
    threshold: Fraction = SIMPLE_MAJORITY,
    threshold_of: ThresholdBase = "cast_excluding_abstentions",
    strict: bool | None = None,
) -> bool:
    """Whether the outcome is decided whatever the ``remaining`` members still to vote do.

    Used to close a vote early. Votes already cast are taken as final. The most favourable case for
    the motion is every remaining member voting yes (it raises both participation and the yes share
    for every base); the least favourable cases are nobody else voting (lowest participation) and
    everybody else voting no (lowest yes share). The outcome is settled when the best and both
    worst cases agree.
    """
    if remaining < 0 or yes + no + abstain + remaining > seated:
        raise ValueError("remaining voters must be between 0 and the seated members who have not voted")
    common: dict[str, Any] = {
        "seated": seated,
        "quorum": quorum,
        "quorum_counts_abstentions": quorum_counts_abstentions,
        "threshold": threshold,
        "threshold_of": threshold_of,
        "strict": strict,
    }
    best = count_motion(yes + remaining, no, abstain, **common).passed
    idle = count_motion(yes, no, abstain, **common).passed
    all_no = count_motion(yes, no + remaining, abstain, **common).passed
    return best == idle == all_no
