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
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from governance.errors import InvalidInput

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
)
BUILTIN = ("alliance",)


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
    def identity(self) -> dict[str, str]:
        """Name, version and source hash, as recorded with each decision."""
        return {"name": self.name, "version": self.version, "sha256": self.sha256}


_cache: dict[str, LoadedPolicy] = {}


def load_policy(spec: str) -> LoadedPolicy:
    """Load and validate a policy by built-in name, dotted module path, or ``.py`` file path."""
    if spec in _cache:
        return _cache[spec]
    if spec.endswith(".py") or "/" in spec:
        path = Path(spec).expanduser()
        if not path.is_file():
            raise InvalidInput(f"Policy file {spec} does not exist.", "Give the path of a .py policy module.")
        module_spec = importlib.util.spec_from_file_location(f"govbot_policy_{path.stem}", path)
        if module_spec is None or module_spec.loader is None:
            raise InvalidInput(f"Policy file {spec} cannot be loaded as a Python module.")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
        source = path.read_bytes()
    else:
        dotted = f"governance.policies.{spec}" if spec in BUILTIN else spec
        try:
            module = importlib.import_module(dotted)
        except ModuleNotFoundError as exc:
            raise InvalidInput(
                f"No policy named {spec!r}.",
                f"Built-in policies: {', '.join(BUILTIN)}; or give a dotted module path or a .py file.",
            ) from exc
        source = inspect.getsource(module).encode()
    loaded = _validate(module, spec, source)
    _cache[spec] = loaded
    return loaded


def _validate(module: ModuleType, spec: str, source: bytes) -> LoadedPolicy:
    name = getattr(module, "NAME", None)
    version = getattr(module, "VERSION", None)
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"Policy module {spec}: NAME is missing or not a string.", 'Add NAME = "my-charter".')
    if not isinstance(version, str) or not version:
        raise InvalidInput(f"Policy module {spec}: VERSION is missing or not a string.", 'Add VERSION = "1.0".')
    for attr in REQUIRED:
        if not callable(getattr(module, attr, None)):
            raise InvalidInput(
                f"Policy module {spec}: {attr} is missing or not a function.",
                "Every policy answers each question listed in governance/policies/base.py.",
            )
    return LoadedPolicy(module, name, version, hashlib.sha256(source).hexdigest(), spec)
