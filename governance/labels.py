"""Stored words (a phase, a member state, a role, a counting method, a vote) as a reader says them.

The database keeps short English identifiers (``voting``, ``emeritus``, ``co_chair``, ``stv-meek``);
a sentence that names one must not carry the identifier into another language. Each table maps the
identifier to the English a sentence uses (mostly the identifier itself, as commands write it), marked
with ``N_()`` for the catalog, and :func:`label` translates it into the current locale when the sentence
is built. French sentences around a label are written so the
label fits whatever its gender (``(phase : vote en cours)``), or the sentence is split per value.
A value not listed (an operator's own tier or role) is shown as stored, underscores as spaces.
"""

from __future__ import annotations

from collections.abc import Mapping

from governance.i18n import N_, current_locale, translate

METHODS: Mapping[str, str] = {
    "plurality": N_("plurality"),
    "approval": N_("approval"),
    "irv": N_("instant-runoff"),
    "stv-scottish": N_("Scottish STV"),
    "stv-meek": N_("Meek STV"),
    "schulze": N_("Schulze"),
    "ranked-pairs": N_("Ranked Pairs"),
    "debian": N_("Debian (Condorcet)"),
    "condorcet-irv": N_("Condorcet-IRV"),
    "star": N_("STAR"),
    "cumulative": N_("cumulative voting"),
}
"""Counting methods by the name a policy uses."""

THRESHOLD_BASES: Mapping[str, str] = {
    "cast": N_("votes cast"),
    "cast_excluding_abstentions": N_("votes cast excluding abstentions"),
    "seated": N_("seated members"),
}
"""What a motion's threshold is measured against."""

ELECTION_PHASES: Mapping[str, str] = {
    "draft": N_("draft"),
    "nominating": N_("nominating"),
    "voting": N_("voting"),
    "closed": N_("closed"),
    "certified": N_("certified"),
    "cancelled": N_("cancelled"),
}
"""Where an election stands (a sentence says ``phase {phase}``)."""

MOTION_PHASES: Mapping[str, str] = {
    "open": N_("open"),
    "closed": N_("closed"),
    "withdrawn": N_("withdrawn"),
}
"""Where a motion stands."""

MEMBER_STATES: Mapping[str, str] = {
    "active": N_("active [member state]"),
    "emeritus": N_("emeritus"),
    "withdrawn": N_("withdrawn"),
    "suspended": N_("suspended"),
}
"""A person's roster status or state in a body."""

ROLES: Mapping[str, str] = {
    "member": N_("member"),
    "chair": N_("chair"),
    "co_chair": N_("co-chair"),
    "voting_rep": N_("voting-rep"),
    "observer": N_("observer"),
}
"""A seat's role in a body, as commands write it."""

CANDIDACIES: Mapping[str, str] = {
    "nominated": N_("nominated"),
    "accepted": N_("accepted"),
    "declined": N_("declined"),
    "withdrawn": N_("withdrawn"),
    "elected": N_("elected"),
    "not_elected": N_("not elected"),
}
"""Where a candidacy stands."""

CHOICES: Mapping[str, str] = {"yes": N_("yes"), "no": N_("no"), "abstain": N_("abstain")}
"""A vote on a motion."""

OUTCOMES: Mapping[str, str] = {
    "passed": N_("passed"),
    "failed": N_("failed"),
    "no_quorum": N_("no quorum"),
}
"""How a motion ended."""

BODY_KINDS: Mapping[str, str] = {
    "board": N_("board"),
    "committee": N_("committee"),
    "working_group": N_("working group"),
}
"""Kinds of body."""

MOTION_KINDS: Mapping[str, str] = {"ordinary": N_("ordinary"), "charter": N_("charter change")}
"""Kinds of motion."""

RESULT_PARAMETERS: Mapping[str, str] = {
    "default": N_("default option"),
    "quorum": N_("quorum"),
    "electorate": N_("electorate"),
    "Q": "Q",
    "R": "R",
    "votes_needed": N_("votes needed"),
    "supermajority": N_("supermajority"),
    "majority_rule": N_("majority rule"),
    "strength": N_("defeat strength"),
    "equal margins": N_("equal margins"),
    "unranked": N_("unranked candidates"),
    "overvote": N_("several candidates at one rank"),
    "precision": N_("decimal places"),
    "omega": N_("convergence tolerance"),
    "arithmetic": N_("arithmetic"),
    "caps": N_("seats per organisation at most"),
    "max_score": N_("highest score"),
    "votes": N_("votes per voter"),
}
"""The parameters a result's table shows (``Result.params``), by key; a key not listed is internal (the
re-count's data, e.g. ``ratios``) and not shown."""

RESULT_PARAMETER_VALUES: Mapping[str, str] = {
    "winning votes": N_("winning votes"),
    "margins": N_("margins"),
    "winning votes, then lot": N_("winning votes, then lot"),
    "current": N_("current rule"),
    "2003": N_("2003-2015 rule"),
    "bottom": N_("ranked below the ranked ones"),
    "abstain": N_("not compared with each other [unranked]"),
    "reject": N_("ballot rejected [overvote]"),
    "exhaust": N_("ballot exhausted [overvote]"),
    "skip": N_("rank skipped [overvote]"),
    "fixed": N_("fixed-point decimals"),
    "True": N_("yes [setting]"),
    "False": N_("no [setting]"),
}
"""Words a result's parameters take, as readers say them (any other value is shown as stored)."""


def label(table: Mapping[str, str], value: object, locale: str | None = None) -> str:
    """``value`` from ``table`` in the reader's language (``locale``, else the current one).

    A message id may end with a context in brackets (``"active [member state]"``) where the same English
    word needs another translation elsewhere (``governance.i18n.translate`` leaves it out of English). An
    unlisted value is shown as stored with underscores as spaces: it is an operator's own word.
    """
    text = str(value)
    if text not in table:
        return text.replace("_", " ")
    return translate(table[text], locale or current_locale())


def method_name(method: object, locale: str | None = None) -> str:
    """A counting method as readers say it (``stv-meek`` -> Meek STV, VUT Meek)."""
    return label(METHODS, method, locale)
