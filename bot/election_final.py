"""What `election show` says of a finished election: its final state, read from stored records only.

No "so far", no planned date later than the close, and seats filled rather than a seat plan's
"vacant": the close, the ballots counted, who was elected and, once certified, the seats filled.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from governance.i18n import _, ngettext
from governance.services.elections import ElectionView

FINISHED = ("closed", "certified")


def final_lines(view: ElectionView, show_time: Callable[[datetime | None], str]) -> list[str]:
    """The lines that replace the timeline and seat plan of a closed or certified election."""
    e = view.election
    elected = [p.name for c, p in view.candidates if c.status == "elected"]
    lines = [
        ngettext(
            "Voting opened {opened} and closed {closed}: {n} ballot cast.",
            "Voting opened {opened} and closed {closed}: {n} ballots cast.",
            view.voters,
            opened=show_time(e.voting_open_at),
            closed=show_time(e.closed_at or e.voting_close_at),
        )
    ]
    names = ", ".join(elected) if elected else _("nobody")
    if e.phase == "certified":
        lines.append(
            ngettext(
                "Certified {when}: elected {names}; {filled} of {seats} seat filled.",
                "Certified {when}: elected {names}; {filled} of {seats} seats filled.",
                e.seats,
                when=show_time(e.certified_at),
                names=names,
                filled=len(elected),
                seats=e.seats,
            )
        )
    else:
        lines.append(_("Elected {names}; awaiting certification.", names=names))
    return lines


def electorate_line(view: ElectionView) -> str | None:
    """The size of the frozen electorate, when fixed."""
    if view.fixed is None:
        return None
    return ngettext(
        "Electorate: {n} person could vote (frozen record; see `election voters {slug}`).",
        "Electorate: {n} people could vote (frozen record; see `election voters {slug}`).",
        view.fixed,
        slug=view.election.slug,
    )
