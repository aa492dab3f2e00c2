"""What a policy module must answer, and the facts the engine gives it to answer with.

A policy is a Python module with these names at top level (``governance/policies/alliance.py`` is a
complete example; ``load_policy`` refuses a module that lacks one, or whose answers have the wrong type
or are impossible, naming the module, the field and the fix):

Identity
    ``NAME: str`` and ``VERSION: str``, recorded with every decision together with the SHA-256 of the
    module's source. A poll opened under one source refuses to go on under another.

Elections (``PollFacts`` describes the election asked about)
    ``election_rules(body: BodyFacts) -> ElectionRules``
        Counting method and its parameters, secrecy, seats, per-organisation seat caps (by tier),
        nomination and voting windows, reminder cadence, term length, staggered terms, term limits,
        proxies and vote replacement. The engine enforces every field itself.
    ``may_vote(election, voter: PersonFacts) -> Refusal | None``
        The electorate: e.g. one vote per member organisation through its designated representative
        (``voter.is_voting_rep``), one per person, members of the body only, or by tier.
    ``may_stand(election, nominee) -> Refusal | None`` and
    ``may_nominate(election, nominator, nominee) -> Refusal | None``
        Who may be a candidate, and who may put them forward.
    ``may_run_elections(actor, body) -> Refusal | None``
        Who creates, opens, closes and certifies elections.

Motions
    ``motion_rules(body, kind: str) -> MotionRules``
        For a motion of ``kind`` ("ordinary", "charter"): quorum (of seated members; abstentions
        counting toward it or not), threshold (simple majority, 2/3, 3/4, unanimity; of votes cast, of
        votes cast excluding abstentions, or of seated members), roll-call or secret (and whether a
        proposer may ask for a secret ballot), lazy consensus (passes unless someone objects within the
        window), early close once the outcome cannot change, vote replacement, proxies, reminders.
    ``may_propose(body, proposer)`` and ``may_vote_on_motion(body, voter)`` -> ``Refusal | None``

Per-poll choices (``Bounds``, the ``bounds`` field of ``ElectionRules`` and ``MotionRules``)
    What an admin or proposer may choose for one poll instead of the policy's own value, and within
    which limits: other counting methods, a range of seats, the shortest and longest voting period, a
    secret ballot on request. By default nothing may be chosen but a deadline at least as long as the
    policy's period. The services refuse anything outside the bounds (rules ``bounds.method``,
    ``bounds.seats``, ``bounds.single-winner``, ``bounds.voting-period``), record a permitted choice in
    the poll's audit event and show it.

Working groups and bodies
    ``join_rule(body) -> "open" | "approval"``; ``may_approve_join(body, approver) -> Refusal | None``
    ``may_chair(body, person) -> Refusal | None``: who may be seated as chair or co-chair.
    ``working_group_rules(body) -> WorkingGroupRules``: size limit, inactivity rule, and whether a
        member who leaves or is confirmed inactive is removed or kept as emeritus.
    ``may_administer(actor, action: str) -> Refusal | None``: who keeps the roster and creates bodies.

Member states
    ``MEMBER_STATES: Mapping[str, frozenset[str]]``: for each state (active, emeritus, withdrawn,
    suspended) the actions it allows, out of ``ACTIONS``. A person's roster status and their state in
    the body concerned must both allow an action; ``state_refusal`` applies the table and presets call it
    first in each ``may_*`` answer. The states bind admins too: ``"administer"`` is the action of acting
    for the secretariat (keeping the roster, creating bodies, running elections and motions), and
    ``admin_refusal`` / ``acts_as_admin`` / ``manager_refusal`` are the one way presets apply it (a
    suspended admin is refused with rule ``member-state``). The system actor (scheduler, set-up;
    ``PersonFacts.is_system``) is not a person and is not bound by member states.

Chairs
    The engine keeps someone in charge of a body: its last chair in office (a chair or co-chair whose
    states allow ``"chair"``) cannot leave, go emeritus, be suspended there, lose the role or be removed
    until a successor is seated (rule ``last-chair``). A body left with no chair in office anyway (its
    chair's roster status changed) is flagged in ``wg list`` and ``body show`` and the secretariat is
    told; the secretariat then decides its join requests.

Proxies: when ``ElectionRules.proxies`` / ``MotionRules.proxies`` is true, a voter may name another
person who may vote in that poll to cast their vote for them in that one poll; voting in person
afterwards overrides the proxy (and the proxy's vote), and a secret poll stays secret: the ballot names
nobody, and only the delegator and delegate know the proxy was used.

The engine never decides these itself: it asks, records the policy's identity with the decision, and
shows a refusal's message (which names the rule) to the person it refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from typing import Literal, TypedDict

from governance.errors import Suggestion
from governance.i18n import N_, _

ThresholdOf = Literal["cast", "cast_excluding_abstentions", "seated"]
JoinRule = Literal["open", "approval"]
RetireRule = Literal["remove", "emeritus"]
RETIRE_RULES: tuple[str, ...] = ("remove", "emeritus")

DEFAULT_REMINDER_OFFSETS: tuple[timedelta, ...] = (
    timedelta(hours=72),
    timedelta(hours=24),
    timedelta(hours=1),
)

STATES: tuple[str, ...] = ("active", "emeritus", "withdrawn", "suspended")
ACTIONS: tuple[str, ...] = ("vote", "stand", "nominate", "propose", "join", "chair", "administer")

# What each member state may do, unless a policy says otherwise.
DEFAULT_MEMBER_STATES: Mapping[str, frozenset[str]] = {
    "active": frozenset(ACTIONS),
    "emeritus": frozenset({"join"}),
    "withdrawn": frozenset(),
    "suspended": frozenset(),
}

ACTION_WORDS: Mapping[str, str] = {
    "vote": N_("vote [action]"),
    "stand": N_("stand for election"),
    "nominate": N_("nominate candidates"),
    "propose": N_("propose motions"),
    "join": N_("join working groups"),
    "chair": N_("chair a body"),
    "administer": N_("act for the secretariat"),
}
"""What each action lets a person do, as a sentence says it (translated where shown)."""

# One whole sentence per member state, on the roster or in the body concerned, so a translation can agree
# with the state; a state not listed here (an operator's own) takes the general sentence.
_STATE_REFUSALS: Mapping[tuple[str, bool], str] = {
    ("active", False): N_("{person_name} is active; active members may not {action}."),
    ("active", True): N_("{person_name} is active in this body; active members may not {action}."),
    ("emeritus", False): N_("{person_name} is emeritus; emeritus members may not {action}."),
    ("emeritus", True): N_("{person_name} is emeritus in this body; emeritus members may not {action}."),
    ("withdrawn", False): N_("{person_name} is withdrawn; withdrawn members may not {action}."),
    ("withdrawn", True): N_("{person_name} is withdrawn in this body; withdrawn members may not {action}."),
    ("suspended", False): N_("{person_name} is suspended; suspended members may not {action}."),
    ("suspended", True): N_("{person_name} is suspended in this body; suspended members may not {action}."),
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """A policy's "no": the rule that refused (short id), a sentence for the person refused and,
    optionally, a command that may help (rendered by the presentation, see ``governance.errors``)."""

    rule: str
    message: str
    suggestion: Suggestion | None = None


@dataclass(frozen=True, slots=True)
class BodyFacts:
    """What a policy may know of a body."""

    slug: str
    name: str
    kind: str  # "board", "committee", "working_group"


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What a policy may know of a person, seen from one body."""

    person_id: int
    handle: str
    name: str
    status: str  # roster state: active, emeritus, withdrawn, suspended
    is_admin: bool
    organisation: str | None  # organisation slug
    organisation_name: str | None
    organisation_active: bool
    organisation_tier: str | None
    is_voting_rep: bool  # the designated voting representative of their organisation
    body_role: str | None  # role in the body concerned, when an active member
    body_status: str | None  # active, pending, left, removed, denied
    body_state: str | None = None  # member state in the body concerned: active, emeritus, ...
    # The system itself (scheduler, set-up): not a person, so not bound by member states.
    is_system: bool = False


@dataclass(frozen=True, slots=True)
class PollFacts:
    """What a policy may know of an election when asked about it."""

    slug: str
    body: BodyFacts
    seats: int
    phase: str


SINGLE_WINNER_METHODS: frozenset[str] = frozenset({"irv", "debian"})
"""Counting methods that elect one person: an election counted by one of them fills exactly one seat."""


@dataclass(frozen=True, slots=True)
class Bounds:
    """What may be chosen per poll instead of the policy's own value, and within which limits.

    Anything outside is refused with the rule's name, and a permitted choice is recorded in the poll's
    audit event and shown with it. The defaults allow no choice but a longer voting period.

    ``methods``
        Counting methods an admin may choose (``election create --method``) besides the policy's own,
        which is always allowed. Empty: the policy's method only.
    ``seats``
        ``(least, most)`` seats an election may fill (``--seats``). None: the policy's ``seats`` only;
        where terms are staggered, the count the terms allow (``--seats`` may leave a vacancy).
    ``min_voting``
        The shortest voting period, from voting opening (or the motion being proposed) to its deadline
        (``--close``, ``--voting-close``, ``--deadline``, ``election timeline``, ``motion deadline``).
        None: the policy's ``voting_days``.
    ``max_voting``
        The longest voting period. None: no limit.
    ``secret_on_request``
        Whether a proposer may ask for a secret ballot (``motion propose --secret``) where the policy
        votes by roll call (as ``MotionRules.proposer_may_choose_secret``, which it joins).
    """

    methods: frozenset[str] = frozenset()
    seats: tuple[int, int] | None = None
    min_voting: timedelta | None = None
    max_voting: timedelta | None = None
    secret_on_request: bool = False


@dataclass(frozen=True, slots=True)
class ElectionRules:
    """How elections to a body are run; the engine enforces each field."""

    method: str
    secret: bool = True
    seats: int = 1
    # At most this many seats per organisation, counting seats its continuing members hold.
    organisation_cap: int | None = None
    # Per-tier override of ``organisation_cap`` (e.g. {"premier": 2, "general": 1}).
    tier_caps: Mapping[str, int] = field(default_factory=dict)
    # Parameters of the counting method: only "debian" takes any (``DebianParams``).
    method_params: Mapping[str, object] = field(default_factory=dict)
    nomination_days: int = 14
    voting_days: int = 14
    self_nomination: bool = True
    term_months: int | None = None  # None: seats are held until the next election
    # Staggered terms: ``seats`` is then the size of the body, and an election fills the seats whose
    # terms end by its voting close plus any vacant seat (``--seats`` may leave vacancies for later,
    # never a seat whose term ends); with nothing to fill, creating the election is refused.
    staggered: bool = False
    term_limit: int | None = None  # consecutive terms; then a term off before standing again
    proxies: bool = False
    vote_replacement: bool = True
    reminder_offsets: tuple[timedelta, ...] = DEFAULT_REMINDER_OFFSETS  # before voting closes
    # When the electorate is frozen: this long before voting opens (Kubernetes, Debian fix who may vote
    # ahead of the vote); None: when voting opens. Every later view and ballot reads the frozen record.
    electorate_cutoff: timedelta | None = None
    # A person left out may ask for an exception until this long before voting closes (Elekto's
    # ``exceptions_due``); timedelta(0): until voting closes; None: the policy takes no exception.
    exceptions_due: timedelta | None = timedelta(0)
    # Co-signatures of the close's signed checkpoint by the election's monitors needed before certifying.
    monitor_signatures: int = 0
    bounds: Bounds = field(default_factory=Bounds)  # what an admin may choose per election

    def cap_for(self, tier: str | None) -> int | None:
        """The seat cap of an organisation of ``tier`` (the tier's own, else the general cap)."""
        if tier is not None and tier in self.tier_caps:
            return self.tier_caps[tier]
        return self.organisation_cap

    @property
    def default_option(self) -> str | None:
        """The label of the option a debian count adds to every ballot ("None Of The Above"), or None."""
        label = self.method_params.get("default_option") if self.method == "debian" else None
        return label.strip() if isinstance(label, str) and label.strip() else None


class DebianParams(TypedDict, total=False):
    """``ElectionRules.method_params`` of the "debian" method (constitution §A.6), each optional.

    ``default_option``
        The label of an option every ballot offers beside the candidates, e.g. "None Of The Above"
        (Debian §5.2.7). Voters may rank it like a candidate (console: its label or ``nota``); it is
        not a person (no candidacy, statement or seat cap) and is never elected: if it wins, nobody is.
        Without one, the count has no default option and so no quorum or majority test.
    ``quorum``
        R, the votes ranking a candidate above the default option that it needs, else it is dropped: a
        number (``45``, ``Fraction(91, 2)``), or a rule ``"kQ"`` computed when voting opens, with Q half
        the square root of the number of people who may vote then (Debian §4.2: ``"3Q"``).
    ``supermajority``
        N of the N:1 majority over the default option every candidate needs (default 1: more voters
        ranking it above the default option than below).
    """

    default_option: str | None
    quorum: int | Fraction | str
    supermajority: int | Fraction


DEBIAN_PARAMS: tuple[str, ...] = ("default_option", "quorum", "supermajority")
DEFAULT_OPTION_KEY = "*default*"
"""How a stored ballot names the default option: never a handle (handles are letters, digits, - and _)."""
DEFAULT_OPTION_ALIAS = "nota"
"""The short word a voter may type for the default option (unless a candidate has that handle)."""
NONE_OF_THE_ABOVE = N_("None Of The Above")
"""The default option of a Debian leader election (§5.2.7), translated where shown."""


@dataclass(frozen=True, slots=True)
class MotionRules:
    """What a motion needs to pass and how it is voted; the engine enforces each field."""

    quorum: Fraction
    quorum_counts_abstentions: bool
    threshold: Fraction
    threshold_of: ThresholdOf
    secret: bool = False  # False: roll-call, every vote is public
    proposer_may_choose_secret: bool = False  # whether `--secret` may turn a roll-call into a secret vote
    voting_days: int = 7
    strict: bool = field(default=False)  # True: more than the threshold; False: at least the threshold
    lazy_consensus: bool = False  # passes at the deadline unless someone objects (votes no)
    early_close: bool = False  # close as soon as the outcome can no longer change
    vote_replacement: bool = True
    proxies: bool = False
    reminder_offsets: tuple[timedelta, ...] = DEFAULT_REMINDER_OFFSETS  # before the deadline
    bounds: Bounds = field(default_factory=Bounds)  # what a proposer may choose per motion


@dataclass(frozen=True, slots=True)
class WorkingGroupRules:
    """How a working group (or any body's membership) admits, sizes and retires its members.

    ``on_leave`` and ``on_inactive`` say what becomes of a member who leaves (``wg leave``) or whom a
    chair confirms as inactive (``wg review-confirm``): ``"remove"`` ends their membership;
    ``"emeritus"`` keeps them on the member list in the emeritus state (credit kept; the policy's
    ``MEMBER_STATES`` then decides what they may do, by default no vote). An emeritus member who
    leaves again is removed. The default is today's behaviour: both remove.
    """

    max_members: int | None = None
    # Members who have not voted on any of the group's motions for this many days are up for review.
    inactivity_days: int | None = None
    on_leave: RetireRule = "remove"
    on_inactive: RetireRule = "remove"


def state_refusal(
    person: PersonFacts, action: str, states: Mapping[str, frozenset[str]] = DEFAULT_MEMBER_STATES
) -> Refusal | None:
    """Whether ``person``'s roster state and state in the body allow ``action`` (per the states table)."""
    for state, in_body in ((person.status, False), (person.body_state, True)):
        if state is None or action in states.get(state, frozenset()):
            continue
        words = _(ACTION_WORDS[action]) if action in ACTION_WORDS else action
        if (state, in_body) in _STATE_REFUSALS:
            message = _(_STATE_REFUSALS[state, in_body], person_name=person.name, action=words)
        elif in_body:
            message = _(
                "{person_name}'s state in this body ({state}) does not allow them to {action}.",
                person_name=person.name,
                state=state.replace("_", " "),
                action=words,
            )
        else:
            message = _(
                "{person_name}'s state ({state}) does not allow them to {action}.",
                person_name=person.name,
                state=state.replace("_", " "),
                action=words,
            )
        return Refusal("member-state", message)
    return None


def admin_refusal(
    actor: PersonFacts,
    rule: str,
    message: str,
    states: Mapping[str, frozenset[str]] = DEFAULT_MEMBER_STATES,
) -> Refusal | None:
    """The secretariat rule every preset's ``may_administer`` / ``may_run_elections`` applies: the actor
    is an admin and their states allow ``"administer"`` (else a ``member-state`` refusal), or ``rule``.

    Written once here so member states bind admins the same way under every charter; the system actor
    is not a person and passes.
    """
    if actor.is_system:
        return None
    if refusal := state_refusal(actor, "administer", states):
        return refusal
    return None if actor.is_admin else Refusal(rule, message)


def acts_as_admin(actor: PersonFacts, states: Mapping[str, frozenset[str]] = DEFAULT_MEMBER_STATES) -> bool:
    """Whether ``actor`` may use the secretariat's authority now: the system, or an admin whose roster
    status (and state in the body asked about) allow ``"administer"``. A suspended admin is then judged
    as any other person by the rest of the rule."""
    return actor.is_system or (actor.is_admin and state_refusal(actor, "administer", states) is None)


def manager_refusal(
    body: BodyFacts,
    actor: PersonFacts,
    rule: str,
    message: str,
    states: Mapping[str, frozenset[str]] = DEFAULT_MEMBER_STATES,
    roles: frozenset[str] = frozenset({"chair", "co_chair"}),
) -> Refusal | None:
    """Who manages a body's membership (``may_approve_join``): the secretariat (``acts_as_admin``) or a
    holder of one of ``roles`` in the body whose states allow ``"chair"``; anyone else gets ``rule``."""
    if acts_as_admin(actor, states):
        return None
    if actor.body_role in roles:
        return state_refusal(actor, "chair", states)
    if actor.is_admin:  # an admin whose state forbids acting for the secretariat
        return state_refusal(actor, "administer", states)
    return Refusal(rule, message)


SEATED_ROLES = frozenset({"member", "chair", "co_chair", "voting_rep"})
"""Roles in a body that make someone one of its members (observers are not)."""


def member_refusal(
    person: PersonFacts,
    body: BodyFacts,
    action: str,
    rule: str,
    states: Mapping[str, frozenset[str]] = DEFAULT_MEMBER_STATES,
) -> Refusal | None:
    """Whether ``person`` may ``action`` as a member of ``body``: their state allows it and they hold a seat.

    The rule most charters state for proposing and voting in a body; ``rule`` names it in the refusal.
    """
    if refusal := state_refusal(person, action, states):
        return refusal
    if person.body_role not in SEATED_ROLES:
        return Refusal(
            rule,
            _(
                "{person_name} is not a member of {body_name}; only members may {action}.",
                person_name=person.name,
                body_name=body.name,
                action=_(ACTION_WORDS[action]) if action in ACTION_WORDS else action,
            ),
        )
    return None
