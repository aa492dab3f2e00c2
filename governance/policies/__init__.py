"""Governance rules as Python modules: the engine asks, the policy decides, the decision records which.

``load_policy(name_or_path)`` returns a ``LoadedPolicy``: the module, its name, version and the SHA-256
of its source. Built-in policies are found by name (``alliance``); an operator's module by dotted path
or by file path. A module missing an answer is refused when loaded, never at the moment it is needed.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from governance.errors import InvalidInput
from governance.i18n import _
from governance.policies.base import DEFAULT_MEMBER_STATES
from governance.policies.validate import check_answers

REQUIRED = (
    "may_administer",
    "election_rules",
    "may_vote",
    "may_stand",
    "may_nominate",
    "may_run_elections",
    "motion_rules",
    "may_propose",
    "may_vote_on_motion",
    "join_rule",
    "may_approve_join",
    "may_chair",
    "working_group_rules",
)
BUILTIN = ("alliance", "kubernetes", "debian", "asf", "lazy_consensus")


@dataclass(frozen=True)
class LoadedPolicy:
    """A validated policy module with its identity."""

    module: ModuleType
    name: str
    version: str
    sha256: str
    origin: str

    def __getattr__(self, item: str) -> Any:
        return getattr(self.module, item)

    @property
    def member_states(self) -> Mapping[str, frozenset[str]]:
        """What each member state may do: the module's ``MEMBER_STATES``, else the default table."""
        states: Mapping[str, frozenset[str]] = getattr(self.module, "MEMBER_STATES", DEFAULT_MEMBER_STATES)
        return states

    @property
    def identity(self) -> dict[str, str]:
        """Name, version and source hash, as recorded with each decision."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}


_cache: dict[str, LoadedPolicy] = {}


def load_policy(spec: str) -> LoadedPolicy:
    """Load and validate a policy by built-in name, dotted module path, or ``.py`` file path."""
    spec = spec.strip()
    if spec in _cache:
        return _cache[spec]
    if not spec:
        raise InvalidInput(
            _("No policy named."), _("Built-in policies: {join_builtin}.", join_builtin=", ".join(BUILTIN))
        )
    if spec.endswith(".py") or "/" in spec or "\\" in spec:
        module, source = _load_file(spec)
    else:
        module, source = _load_dotted(spec)
    loaded = _validate(module, spec, source)
    _cache[spec] = loaded
    return loaded


def _load_file(spec: str) -> tuple[ModuleType, bytes]:
    path = Path(spec).expanduser()
    if not path.is_file():
        raise InvalidInput(
            _("Policy file {spec} does not exist.", spec=spec), _("Give the path of a .py policy module.")
        )
    source = path.read_bytes()
    name = f"govbot_policy_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}_{path.stem}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise InvalidInput(_("Policy file {spec} cannot be loaded as a Python module.", spec=spec))
    module = importlib.util.module_from_spec(module_spec)
    # Registered before running, as an import would: dataclasses and typing look the module up by name.
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise _broken(spec, exc) from exc
    return module, source


def _load_dotted(spec: str) -> tuple[ModuleType, bytes]:
    dotted = f"governance.policies.{spec}" if spec in BUILTIN else spec
    try:
        module = importlib.import_module(dotted)
    except ModuleNotFoundError as exc:
        if exc.name is not None and dotted != exc.name and not dotted.startswith(exc.name + "."):
            raise _broken(spec, exc) from exc  # the policy exists but imports something missing
        raise InvalidInput(
            _("No policy named {spec!r}.", spec=spec),
            _(
                "Built-in policies: {join_builtin}; or give a dotted module path or a .py file.",
                join_builtin=", ".join(BUILTIN),
            ),
        ) from exc
    except Exception as exc:
        raise _broken(spec, exc) from exc
    file = getattr(module, "__file__", None)
    try:
        source = (
            Path(file).read_bytes() if file and file.endswith(".py") else inspect.getsource(module).encode()
        )
    except (OSError, TypeError) as exc:
        raise InvalidInput(
            _("Policy module {spec}: its source cannot be read, so its hash cannot be recorded.", spec=spec),
            _("Install the policy as a .py source file."),
        ) from exc
    return module, source


def _broken(spec: str, exc: BaseException) -> InvalidInput:
    fields = {"spec": spec, "error_type": type(exc).__name__, "error": exc}
    return InvalidInput(
        _(
            "Policy module {spec} failed to load (line {line}): {error_type}: {error}.",
            line=exc.lineno,
            **fields,
        )
        if isinstance(exc, SyntaxError) and exc.lineno
        else _("Policy module {spec} failed to load: {error_type}: {error}.", **fields),
        _("Fix the module and try again; nothing was changed."),
    )


def _validate(module: ModuleType, spec: str, source: bytes) -> LoadedPolicy:
    name = getattr(module, "NAME", None)
    version = getattr(module, "VERSION", None)
    if not isinstance(name, str) or not name:
        raise InvalidInput(
            _("Policy module {spec}: NAME is missing or not a string.", spec=spec),
            _('Add NAME = "my-charter".'),
        )
    if not isinstance(version, str) or not version:
        raise InvalidInput(
            _("Policy module {spec}: VERSION is missing or not a string.", spec=spec),
            _('Add VERSION = "1.0".'),
        )
    missing = [attr for attr in REQUIRED if not callable(getattr(module, attr, None))]
    if missing:
        raise InvalidInput(
            _(
                "Policy module {spec} ({name} {version}) does not answer: {join_missing} (missing or not a "
                "function).",
                spec=spec,
                name=name,
                version=version,
                join_missing=", ".join(missing),
            ),
            _("Every policy answers each question listed in governance/policies/base.py."),
        )
    check_answers(module, f"{spec} ({name} {version})")
    return LoadedPolicy(module, name, version, hashlib.sha256(source).hexdigest(), spec)
