"""What a count returns: who won, how, round by round, and how any tie was broken.

A ``Result`` is plain data: it renders to JSON (for audit bundles and ``govbot tally --format json``)
and to a text table (for people). Vote counts are kept as ``Fraction`` or ``int`` where the method is
exact and as decimals where the method rounds (Scottish STV: 5 places), and are written to JSON as
strings of their exact decimal value so that a re-count can compare them byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from babel.numbers import format_decimal

from governance.i18n import DEFAULT_LOCALE, N_, negotiate, translate
from governance.labels import RESULT_PARAMETER_VALUES, RESULT_PARAMETERS, label, method_name

Number = int | Fraction | Decimal | float


def exact_decimal(units: int, places: int) -> Decimal:
    """``units`` × 10^-``places`` as a Decimal, exact at any size (e.g. 130040863, 5 -> 1300.40863).

    Built from its digits, not by ``Decimal.scaleb``, which rounds to the context's 28 digits: a count
    of 2**64 ballots in units of 10^-9 has 29 digits and must not lose its last ones.
    """
    digits = tuple(int(d) for d in str(abs(units)))
    return Decimal((1 if units < 0 else 0, digits, -places))


def number_to_json(value: Number) -> int | str | float:
    """A count as JSON: ints stay ints, exact fractions and decimals become decimal strings."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return value.numerator
        return f"{float(value):.9f}".rstrip("0")
    if isinstance(value, Decimal):
        return format(value, "f")
    return round(value, 9)


class Message(str):
    """A sentence of a count in English that keeps its message id and fields, to be shown in any language.

    The English text is what results store and what a re-count compares, so a count is the same in
    every locale; ``to_json`` keeps the id and fields beside it (``note_i18n`` in a round, ``notes_i18n``
    in a result) and :func:`render_message` builds the sentence again in a reader's language. A field
    may itself be a ``Message`` (a round's note quoted in the result's notes); counts that are not
    whole are kept as their English digits and written with the reader's decimal sign.
    """

    msgid: str
    data: dict[str, Any]

    def __new__(cls, msgid: str, /, **params: object) -> Message:
        made = super().__new__(cls, msgid.format(**params) if params else msgid)
        made.msgid = msgid
        made.data = {"msgid": msgid, "params": {k: _field_json(v) for k, v in params.items()}}
        return made

    @classmethod
    def restored(cls, english: str, data: Mapping[str, Any]) -> Message:
        """A message read back from a stored result: its English as stored, its id and fields as kept."""
        made = super().__new__(cls, english)
        made.msgid = str(data["msgid"])
        made.data = {"msgid": made.msgid, "params": dict(data.get("params") or {})}
        return made

    def to_json(self) -> dict[str, Any]:
        """The message id and its fields, JSON-ready (counts as ``{"$number": "12.5"}``)."""
        return self.data

    def in_locale(self, locale: str, names: Mapping[str, str] | None = None) -> str:
        """The sentence in ``locale`` (English: exactly this text); a field naming an option found in
        ``names`` is shown as ``names`` says (the default option in the reader's language)."""
        return render_message(self.data, locale, str(self), names)


def _field_json(value: object) -> object:
    if isinstance(value, Message):
        return value.to_json()
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Fraction | Decimal | float):
        return {"$number": str(value)}
    item = getattr(value, "item", None)  # a numpy scalar
    return _field_json(item()) if callable(item) else str(value)


def _field_text(value: object, locale: str, names: Mapping[str, str]) -> object:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, dict) and isinstance(value.get("msgid"), str):
        return _render(value, locale, names)
    if isinstance(value, dict) and isinstance(value.get("$number"), str):
        digits = value["$number"]
        try:
            return format_decimal(
                Decimal(digits), locale=locale, decimal_quantization=False, group_separator=False
            )
        except (InvalidOperation, ValueError):
            return digits
    return value


def _render(data: Mapping[str, Any], locale: str, names: Mapping[str, str]) -> str:
    msgid, params = data["msgid"], data.get("params") or {}
    if not isinstance(msgid, str) or not isinstance(params, dict):
        raise TypeError("not a stored message")
    return translate(msgid, locale, **{k: _field_text(v, locale, names) for k, v in params.items()})


def render_message(
    data: Mapping[str, Any] | None, locale: str, fallback: str, names: Mapping[str, str] | None = None
) -> str:
    """A message kept by :meth:`Message.to_json` in ``locale``; ``fallback`` (the stored English) for
    English, for a result recorded before messages were kept, or for anything that does not fit.
    A field that is a key of ``names`` (an option's stored name) is shown as its value."""
    chosen = negotiate(locale)
    if chosen == DEFAULT_LOCALE or not data:
        return fallback
    try:
        return _render(data, chosen, names or {})
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return fallback


def text_in(text: str, locale: str, names: Mapping[str, str] | None = None) -> str:
    """A note or other sentence of a result in ``locale``: translated if it is a ``Message``, else as is."""
    return text.in_locale(locale, names) if isinstance(text, Message) else text


def default_option_names(data: Mapping[str, Any], locale: str) -> dict[str, str]:
    """The stored name of a result's default option mapped to its name in ``locale`` (``data`` is the
    result's JSON): "None Of The Above" is "Aucun des candidats" in French. Empty in English, and when
    the default option is not one govbot added to the ballot (``govbot tally --default`` names a real
    candidate, whose name is never translated)."""
    params = data.get("params") or {}
    chosen = negotiate(locale)
    number = params.get("default") if isinstance(params, Mapping) else None
    candidates = data.get("candidates") or []
    if (
        chosen == DEFAULT_LOCALE
        or data.get("method") != "debian"
        or not params.get("default_elects_nobody")
        or not isinstance(number, int)
        or not 1 <= number <= len(candidates)
    ):
        return {}
    stored = str(candidates[number - 1])
    label, bracket, alias = stored.partition(" (")  # "None Of The Above (nota)" beside a namesake
    if "[" in label:  # a translators' context would be cut: an operator's own label stays as written
        return {}
    shown = translate(label, chosen) + (bracket + alias if bracket else "")
    return {stored: shown} if shown != stored else {}


def as_recorded(recorded: Mapping[str, Any], again: dict[str, Any]) -> dict[str, Any]:
    """A re-count's JSON made comparable with a result recorded before notes kept their message ids.

    Such a result has only the English notes; the re-count's ``note_i18n``/``notes_i18n`` (which the
    English notes already say) are then left out of the comparison. A result that has them is compared
    whole, so its translations cannot be changed unnoticed.
    """
    kept = "notes_i18n" in recorded or any(
        isinstance(r, Mapping) and "note_i18n" in r for r in recorded.get("rounds", [])
    )
    if kept:
        return again
    stripped = {k: v for k, v in again.items() if k != "notes_i18n"}
    stripped["rounds"] = [
        {k: v for k, v in r.items() if k != "note_i18n"} if isinstance(r, dict) else r
        for r in again.get("rounds", [])
    ]
    return stripped


def round_note_in(data: Mapping[str, Any], locale: str, names: Mapping[str, str] | None = None) -> str:
    """A stored round's note (``Round.to_json``) in ``locale``; its English when it cannot be translated.
    ``names``: options shown otherwise (:func:`default_option_names`)."""
    parts = [d for d in data.get("note_i18n", []) if isinstance(d, dict)]
    return Round(number=0, counts={}, note=str(data.get("note", "")), note_i18n=parts).note_in(locale, names)


def notes_in(data: Mapping[str, Any], locale: str) -> list[str]:
    """A stored result's notes (``Result.to_json``) in ``locale``; each in English when it cannot be. The
    default option is named in ``locale`` too."""
    notes = [str(n) for n in data.get("notes", [])]
    names = default_option_names(data, locale)
    return [text_in(n, locale, names) for n in _messages_from_json(notes, data.get("notes_i18n"))]


def tie_words(text: str, locale: str) -> str:
    """A tie-break's purpose or rule (``TieBreak.purpose``/``rule``) as readers of ``locale`` say it."""
    return _tie_words({**TIE_PURPOSES, **TIE_RULES}, text, negotiate(locale))


def withdrawn_note(names: list[str]) -> Message:
    """The result note naming the candidates withdrawn before the count."""
    return Message(N_("withdrawn: {names}"), names=", ".join(names))


def _messages_json(items: list[str]) -> list[dict[str, Any] | None] | None:
    if not any(isinstance(m, Message) for m in items):
        return None
    return [m.to_json() if isinstance(m, Message) else None for m in items]


def _messages_from_json(texts: list[str], data: object) -> list[str]:
    """Texts with their message ids restored where ``data`` (a ``*_i18n`` list) keeps them."""
    if not isinstance(data, list) or len(data) != len(texts):
        return list(texts)
    return [
        Message.restored(text, d) if isinstance(d, dict) and isinstance(d.get("msgid"), str) else text
        for text, d in zip(texts, data, strict=True)
    ]


# What a tie was broken for and by which rule, as the counts record them (in English, for the lot's
# context and the re-count) and as readers say them; "order pairs of equal margin N" carries its margin.
TIE_PURPOSES: Mapping[str, str] = {
    "exclude": N_("exclude"),
    "elect": N_("elect"),
    "elect order": N_("order the elected"),
    "surplus order": N_("order the surpluses"),
    "order within a tied tier of the ranking": N_("order within a tied tier of the ranking"),
    "casting vote among the Schwartz set": N_("give the casting vote among the Schwartz set"),
    "order pairs of equal margin": N_("order pairs of equal margin {margin}"),
    "choose the finalists": N_("choose the finalists"),
    "decide the runoff": N_("decide the runoff"),
}
TIE_RULES: Mapping[str, str] = {
    "earlier round counts": N_("earlier round counts"),
    "lot": N_("lot"),
    "winning votes, then lot (tie-break ranking of candidates)": N_(
        "winning votes, then lot (tie-break ranking of candidates)"
    ),
    "head-to-head preference": N_("head-to-head preference"),
    "higher total score": N_("higher total score"),
    "most five-star ratings": N_("most five-star ratings"),
}


def _tie_words(table: Mapping[str, str], text: str, locale: str) -> str:
    if locale == DEFAULT_LOCALE:
        return text
    if text in table:
        return translate(table[text], locale)
    stem, _, margin = text.rpartition(" ")
    if stem in table and margin:
        return translate(table[stem], locale, margin=margin)
    return text


@dataclass(slots=True)
class TieBreak:
    """A tie the count had to break: between whom, for what, by which rule, and who it chose."""

    round: int
    purpose: str  # e.g. "exclude", "elect", "rank"
    between: list[str]
    rule: str  # e.g. "earlier round counts", "lot"
    chosen: str
    seed: str | None = None

    def text(self, locale: str = DEFAULT_LOCALE, names: Mapping[str, str] | None = None) -> str:
        """The tie-break as a sentence in ``locale`` (its purpose and rule in that language when known);
        options named in ``names`` as it says."""
        shown = names or {}
        fields = {
            "round": self.round,
            "purpose": _tie_words(TIE_PURPOSES, self.purpose, locale),
            "between": ", ".join(shown.get(n, n) for n in self.between),
            "chosen": shown.get(self.chosen, self.chosen),
            "rule": _tie_words(TIE_RULES, self.rule, locale),
        }
        if self.seed is None:
            return translate(
                N_("Tie in round {round} to {purpose} between {between}: {chosen} by {rule}"),
                locale,
                **fields,
            )
        return translate(
            N_("Tie in round {round} to {purpose} between {between}: {chosen} by {rule} (seed {seed})"),
            locale,
            seed=self.seed,
            **fields,
        )

    def to_json(self) -> dict[str, Any]:
        """The tie-break as a JSON-ready dict."""
        return {
            "round": self.round,
            "purpose": self.purpose,
            "between": self.between,
            "rule": self.rule,
            "chosen": self.chosen,
            "seed": self.seed,
        }


@dataclass(slots=True)
class Round:
    """One stage of a count: the standing of every candidate and what happened."""

    number: int
    counts: dict[str, Number]
    quota: Number | None = None
    exhausted: Number = 0
    elected: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    transfers: dict[str, Number] = field(default_factory=dict)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The note's sentences as message ids and fields (Message.to_json), to show it in other languages.
    note_i18n: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if isinstance(self.note, Message) and not self.note_i18n:
            self.note_i18n = [self.note.to_json()]
        self.note = str(self.note)

    def add_note(self, message: Message) -> None:
        """Add a sentence to the round's note; sentences are joined with "; "."""
        if self.note and not self.note_i18n:  # a note kept only in English stays so
            self.note = f"{self.note}; {message}"
            return
        self.note = f"{self.note}; {message}" if self.note else str(message)
        self.note_i18n.append(message.to_json())

    def note_in(self, locale: str, names: Mapping[str, str] | None = None) -> str:
        """The round's note in ``locale`` (as recorded, in English, when it cannot be translated); options
        named in ``names`` as it says."""
        if not self.note_i18n:
            return self.note
        parts = [render_message(part, locale, "", names) for part in self.note_i18n]
        if not all(parts):
            return self.note
        joined = parts[0]
        for part in parts[1:]:
            joined = translate(N_("{note}; {more}"), locale, note=joined, more=part)
        return joined

    def to_json(self) -> dict[str, Any]:
        """The round as a JSON-ready dict."""
        data: dict[str, Any] = {
            "round": self.number,
            "counts": {name: number_to_json(v) for name, v in self.counts.items()},
            "exhausted": number_to_json(self.exhausted),
            "elected": self.elected,
            "excluded": self.excluded,
            "note": self.note,
        }
        if self.note_i18n:
            data["note_i18n"] = self.note_i18n
        if self.quota is not None:
            data["quota"] = number_to_json(self.quota)
        if self.transfers:
            data["transfers"] = {name: number_to_json(v) for name, v in self.transfers.items()}
        if self.extra:
            data["extra"] = self.extra
        return data


@dataclass(slots=True)
class Result:
    """The outcome of one count with everything needed to explain and repeat it."""

    method: str
    seats: int
    candidates: list[str]
    elected: list[str]
    rounds: list[Round] = field(default_factory=list)
    ranking: list[list[str]] | None = None
    tie_breaks: list[TieBreak] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    seed: str | None = None
    ballots: int = 0
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The whole result as a JSON-ready dict (stable key order)."""
        data: dict[str, Any] = {
            "method": self.method,
            "seats": self.seats,
            "params": self.params,
            "seed": self.seed,
            "ballots": self.ballots,
            "candidates": self.candidates,
            "elected": self.elected,
            "ranking": self.ranking,
            "rounds": [r.to_json() for r in self.rounds],
            "tie_breaks": [t.to_json() for t in self.tie_breaks],
            "notes": [str(n) for n in self.notes],
        }
        if (kept := _messages_json(self.notes)) is not None:
            data["notes_i18n"] = kept
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        """A result read back from its JSON (as stored), to show it again; notes keep their message ids."""
        rounds = [
            Round(
                number=r["round"],
                counts={name: _number(v) for name, v in r["counts"].items()},
                quota=_number(r["quota"]) if r.get("quota") is not None else None,
                exhausted=_number(r.get("exhausted", 0)),
                elected=list(r.get("elected", [])),
                excluded=list(r.get("excluded", [])),
                transfers={name: _number(v) for name, v in r.get("transfers", {}).items()},
                note=r.get("note", ""),
                extra=dict(r.get("extra", {})),
                note_i18n=[d for d in r.get("note_i18n", []) if isinstance(d, dict)],
            )
            for r in data.get("rounds", [])
        ]
        return cls(
            method=data["method"],
            seats=data["seats"],
            candidates=list(data["candidates"]),
            elected=list(data["elected"]),
            rounds=rounds,
            ranking=data.get("ranking"),
            tie_breaks=[TieBreak(**t) for t in data.get("tie_breaks", [])],
            params=dict(data.get("params", {})),
            seed=data.get("seed"),
            ballots=data.get("ballots", 0),
            notes=_messages_from_json(list(data.get("notes", [])), data.get("notes_i18n")),
        )

    def dumps(self) -> str:
        """The JSON text of the result, indented for people and stable for diffs."""
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False)

    def to_text(self, locale: str | None = None) -> str:
        """A readable table: one column per round, one row per candidate, then the outcome.

        In English (the default, as ``govbot tally`` prints it) or in ``locale``: headings, round notes,
        ties and notes translated, the method named as readers say it, decimals with the locale's sign.
        """
        loc = negotiate(locale) if locale else DEFAULT_LOCALE

        def t(msgid: str, /, **fields: object) -> str:
            return translate(msgid, loc, **fields)

        def cell(value: Number | None) -> str:
            return _localised(_fmt(value), loc)

        method = self.method if loc == DEFAULT_LOCALE else method_name(self.method, loc)
        shown = default_option_names(self.to_json(), loc)

        def named(name: str) -> str:
            return shown.get(name, name)

        lines = [
            t(
                N_("Method: {method}   Seats: {seats}   Ballots: {ballots}"),
                method=method,
                seats=self.seats,
                ballots=self.ballots,
            )
        ]
        if params := parameters_text(self.params, self.candidates, loc, shown):
            lines.append(t(N_("Parameters: {params}"), params=params))
        if self.rounds:
            names = self.candidates
            first = t(N_("Candidate"))
            width = max([len(named(n)) for n in names] + [9, len(first)])
            column = N_("R{number}")
            header = first.ljust(width) + "".join(f"{t(column, number=r.number):>13}" for r in self.rounds)
            lines.append(header)
            lines.append("-" * len(header))
            for name in names:
                cells = []
                for r in self.rounds:
                    value = r.counts.get(name)
                    mark = "*" if name in r.elected else ("x" if name in r.excluded else " ")
                    cells.append(f" {cell(value):>11}{mark}" if value is not None else f"{'':>13}")
                lines.append(named(name).ljust(width) + "".join(cells))
            if any(r.exhausted for r in self.rounds):
                lines.append(
                    t(N_("Exhausted")).ljust(width)
                    + "".join(f" {cell(r.exhausted):>11} " for r in self.rounds)
                )
            if any(r.quota is not None for r in self.rounds):
                lines.append(
                    t(N_("Quota")).ljust(width) + "".join(f" {cell(r.quota):>11} " for r in self.rounds)
                )
            lines.append(t(N_("(* elected, x excluded)")))
            for r in self.rounds:
                if r.note:
                    lines.append(t(N_("R{number}: {note}"), number=r.number, note=r.note_in(loc, shown)))
        if self.ranking is not None:
            ranking = " > ".join(" = ".join(named(n) for n in tier) for tier in self.ranking)
            lines.append(t(N_("Ranking: {ranking}"), ranking=ranking))
        if self.elected:
            lines.append(t(N_("Elected: {names}"), names=", ".join(named(n) for n in self.elected)))
        else:
            lines.append(t(N_("Elected: (none)")))
        lines.extend(tie.text(loc, shown) for tie in self.tie_breaks)
        lines.extend(text_in(note, loc, shown) for note in self.notes)
        return "\n".join(lines)


def parameters_text(
    params: Mapping[str, Any], candidates: list[str], locale: str, names: Mapping[str, str] | None = None
) -> str:
    """A result's parameters as its table shows them in ``locale``: each known one by its label and its
    value in words (the default option by its name, in ``names`` when given); internal ones (a re-count's
    data) and empty ones left out. Empty when none is left."""
    shown = names or {}
    parts = []
    for key, value in params.items():
        if key not in RESULT_PARAMETERS or value is None or value == {}:
            continue
        if key == "default" and isinstance(value, int) and 1 <= value <= len(candidates):
            text = shown.get(candidates[value - 1], candidates[value - 1])
        elif key == "supermajority" and isinstance(value, Mapping):
            text = ", ".join(
                f"{_option_name(k, candidates, shown)} {_localised(str(r), locale)}:1"
                for k, r in value.items()
            )
        elif key == "caps" and isinstance(value, Mapping):
            text = str(value.get("cap"))
        elif isinstance(value, bool | str) and str(value) in RESULT_PARAMETER_VALUES:
            text = label(RESULT_PARAMETER_VALUES, str(value), locale)
        else:
            text = _localised(str(value), locale)
        parts.append(
            translate(N_("{name}: {value}"), locale, name=label(RESULT_PARAMETERS, key, locale), value=text)
        )
    joined = parts[0] if parts else ""
    for part in parts[1:]:  # "; " (French " ; "): a value may itself hold a comma
        joined = translate(N_("{note}; {more}"), locale, note=joined, more=part)
    return joined


def _option_name(number: object, candidates: list[str], names: Mapping[str, str]) -> str:
    """An option by its 1-based number as a result's parameters keep it (``"2"``), by name when known."""
    index = int(str(number)) - 1 if str(number).isdigit() else -1
    if 0 <= index < len(candidates):
        return names.get(candidates[index], candidates[index])
    return str(number)


def _number(value: object) -> Number:
    """A count read back from JSON: decimal strings (as ``number_to_json`` writes them) as ``Decimal``."""
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a count: {value!r}") from None
    if isinstance(value, int | float | Decimal | Fraction):
        return value
    raise ValueError(f"not a count: {value!r}")


def _localised(number: str, locale: str) -> str:
    """A count as ``_fmt`` writes it, with the decimal sign of ``locale``."""
    if locale == DEFAULT_LOCALE or not number:
        return number
    try:
        return format_decimal(
            Decimal(number), locale=locale, decimal_quantization=False, group_separator=False
        )
    except (InvalidOperation, ValueError):
        return number


def _fmt(value: Number | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Fraction):
        return f"{float(value):.5f}".rstrip("0").rstrip(".") if value.denominator != 1 else str(value)
    if isinstance(value, float | Decimal):
        text = f"{value:.5f}".rstrip("0").rstrip(".")
        return "0" if text in ("-0", "") else text
    return str(value)
