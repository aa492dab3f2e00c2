"""``govbot tally FILE``: count a BLT or PrefLib ballot file with any method and print the result.

Usage::

    govbot tally FILE --method {plurality,approval,irv,stv-scottish,stv-meek,schulze,ranked-pairs,debian}
                      [--seats N] [--format json|text] [--seed S]
                      [--default N] [--supermajority N:R ...] [--quorum Q] [--overvote RULE]

The reader is chosen by the file's extension (.blt, .soi, .soc, .toi, .toc). ``--seats`` defaults
to the BLT header's seats (else 1). For ``debian``, ``--default`` is the default option's 1-based
number (the last option when omitted), ``--supermajority N:R`` says option N needs an R:1 majority
over the default (repeatable) and ``--quorum Q`` is the quorum in votes. Errors print one clear line
to stderr and exit with status 2; there is never a traceback for bad input.

Without ``--seed`` the seed of any lot is derived from the file's ballots by
``governance.tally.seed.ballot_seed``, the function the close of an election uses, so a govbot export
re-counts to the certified result, ties included. The seed used is printed to stderr; when the file
states another seed (the ``# tie-break seed:`` line of a govbot export) that is said too.
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

from governance.tally.count import METHODS, count
from governance.tally.errors import TallyInputError
from governance.tally.formats import read_profile
from governance.tally.profile import Profile
from governance.tally.seed import ballot_seed, stated_seed


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse's own errors: same exit status, no traceback
        self.print_usage(sys.stderr)
        raise TallyInputError(message)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``govbot tally`` (reused by the lead's ``govbot`` entry point)."""
    parser = _Parser(prog="govbot tally", description="Count a BLT or PrefLib ballot file.")
    parser.add_argument("file", help="ballot file: .blt, .soi, .soc, .toi or .toc")
    parser.add_argument("--method", required=True, choices=list(METHODS), help="counting method")
    parser.add_argument(
        "--seats", type=int, default=None, help="seats to fill (default: the BLT header's, or 1)"
    )
    parser.add_argument("--format", choices=["json", "text"], default="text", help="output format")
    parser.add_argument(
        "--seed",
        default=None,
        help="seed for any lot (default: derived from the ballots, as govbot's close derives it)",
    )
    parser.add_argument(
        "--default", type=int, default=None, help="debian: the default option's number (1-based)"
    )
    parser.add_argument(
        "--supermajority",
        action="append",
        default=[],
        metavar="N:R",
        help="debian: option N needs an R:1 majority over the default (repeatable)",
    )
    parser.add_argument("--quorum", default=None, help="debian: quorum (votes, may be a fraction like 45.5)")
    parser.add_argument(
        "--overvote",
        choices=["reject", "exhaust", "skip"],
        default=None,
        help="irv: how to treat a rank with several candidates (default: reject)",
    )
    return parser


def _fraction(text: str, what: str) -> Fraction:
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise TallyInputError(f"{what} must be a number like 3 or 3/2, got {text!r}") from None


def _derived_seed(path: str, profile: Profile) -> str:
    """The seed derived from the ballots (``ballot_seed``), said on stderr with any seed the file states."""
    seed = ballot_seed(profile)
    print(f"govbot tally: tie-break seed {seed} (derived from the ballots)", file=sys.stderr)
    try:
        stated = stated_seed(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        stated = None
    if stated is not None and stated != seed:
        print(
            f"govbot tally: warning: the file states seed {stated}, but its ballots give {seed}: the "
            f"ballots differ from those counted, or the count predates seeds derived from ballots "
            f"(give --seed {stated} to count with the stated one)",
            file=sys.stderr,
        )
    return seed


def main(argv: list[str] | None = None) -> int:
    """Run ``govbot tally`` with ``argv`` (default: the process arguments); returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        profile = read_profile(args.file)
        n = len(profile.candidates)
        params: dict[str, Any] = {}
        if args.method == "debian":
            default = n if args.default is None else args.default
            if not 1 <= default <= n:
                raise TallyInputError(f"--default must be an option number between 1 and {n}, got {default}")
            params["default"] = default - 1
            if args.supermajority:
                majorities: dict[int, Fraction] = {}
                for item in args.supermajority:
                    option, sep, ratio = item.partition(":")
                    if not sep or not option.strip().isdigit():
                        raise TallyInputError(f"--supermajority expects N:R like 2:3, got {item!r}")
                    k = int(option)
                    if not 1 <= k <= n:
                        raise TallyInputError(f"--supermajority option must be between 1 and {n}, got {k}")
                    majorities[k - 1] = _fraction(ratio, "--supermajority ratio")
                params["supermajority"] = majorities
            if args.quorum is not None:
                q = _fraction(args.quorum, "--quorum")
                params["quorum"] = int(q) if q.denominator == 1 else q
        elif args.default is not None or args.supermajority or args.quorum is not None:
            raise TallyInputError("--default, --supermajority and --quorum apply only to --method debian")
        if args.overvote is not None:
            if args.method != "irv":
                raise TallyInputError("--overvote applies only to --method irv")
            params["overvote"] = args.overvote
        seats = args.seats if args.seats is not None else (profile.seats or 1)
        seed = args.seed if args.seed is not None else _derived_seed(args.file, profile)
        result = count(args.method, profile, seats, seed=seed, **params)
    except TallyInputError as exc:
        print(f"govbot tally: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, KeyError, RecursionError, MemoryError) as exc:
        print(f"govbot tally: error: cannot count this file: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    try:
        print(result.dumps() if args.format == "json" else result.to_text())
    except BrokenPipeError:  # e.g. piped into head
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
