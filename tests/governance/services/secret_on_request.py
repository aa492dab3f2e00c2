"""A test charter: the alliance's, except that a motion's proposer may ask for a secret ballot.

The alliance's technical committees vote by roll call only, so the tests of secret motions (secrecy of the
stored ballots and events, concurrent votes, the count) run on a committee governed by this module.
"""

from __future__ import annotations

from dataclasses import replace

from governance.policies import alliance
from governance.policies.alliance import *  # noqa: F403
from governance.policies.base import BodyFacts, MotionRules

NAME = "secret-on-request"
VERSION = "test"


def motion_rules(body: BodyFacts, kind: str) -> MotionRules:
    """The alliance's motion rules, except that the proposer may ask for a secret ballot."""
    return replace(alliance.motion_rules(body, kind), proposer_may_choose_secret=True)
