"""Use cases: each runs in one transaction that writes the state, its audit event and any notification."""

from governance.services.common import Actor, Context

__all__ = ["Actor", "Context"]
