"""Elections: create, nominate, accept or decline, open voting, cast and replace ballots, close, certify.

An election runs to its end under the policy it opened with: its name, version and source hash are
stored on the election when it is created and recorded with each decision. Ballots follow the
secrecy layout described in ``governance.models``.

Modules: ``lookup`` (the vocabulary, finding an election, its policy), ``lifecycle`` (create, open
nominations, open voting), ``nominations`` (candidacies), ``ballots`` (the cast path and the ballot store;
proxies), ``counting`` (close and count), ``certification``, ``views`` (show, list, the stored result).
"""

from governance.services.elections.ballots import CastReceipt, cast_ballot, delegate, parse_ranking
from governance.services.elections.certification import certify
from governance.services.elections.counting import add_months, close, recorded_electorate
from governance.services.elections.lifecycle import create_election, open_nominations, open_voting
from governance.services.elections.lookup import (
    ELECTION_METHODS,
    NOMINATION_DEADLINE_PAST,
    PHASES,
    RANKED_METHODS,
    RECEIPT_ALPHABET,
    SEATED_ROLES,
    SECRET_VOTER,
    TIES_ALLOWED,
    VOTING_DEADLINE_PAST,
    ballot_default_option,
    default_option_words,
    election_by_slug,
)
from governance.services.elections.nominations import (
    nominate,
    nominations_closed,
    respond,
    set_statement,
    withdraw,
)
from governance.services.elections.views import ElectionView, list_elections, result, result_from_json, show

__all__ = [
    "ELECTION_METHODS",
    "NOMINATION_DEADLINE_PAST",
    "PHASES",
    "RANKED_METHODS",
    "RECEIPT_ALPHABET",
    "SEATED_ROLES",
    "SECRET_VOTER",
    "TIES_ALLOWED",
    "VOTING_DEADLINE_PAST",
    "CastReceipt",
    "ElectionView",
    "add_months",
    "ballot_default_option",
    "cast_ballot",
    "certify",
    "close",
    "create_election",
    "default_option_words",
    "delegate",
    "election_by_slug",
    "list_elections",
    "nominate",
    "nominations_closed",
    "open_nominations",
    "open_voting",
    "parse_ranking",
    "recorded_electorate",
    "respond",
    "result",
    "result_from_json",
    "set_statement",
    "show",
    "withdraw",
]
