"""Effective-dated policy parameters, each with its legal basis, loaded from versioned files.

A profile (``kernel/policy_profiles/<name>.toml``) is a sequence of versions; each version is in
force from its ``effective_from`` day until the next one starts, and inherits every parameter of
the version before it unless it overrides it. A decision asks for the version in force on the
event date and records ``ParameterSet.version_id`` so it can be explained and replayed later
(POLICY.md, "Safeguards": every parameter is effective-dated and carries its legal basis).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any


class PolicyError(LookupError):
    pass


@dataclass(frozen=True)
class Parameter:
    key: str
    value: Any
    basis: str


@dataclass(frozen=True)
class ParameterSet:
    profile: str
    version: str
    effective_from: date
    jurisdiction: str
    params: Mapping[str, Parameter] = field(repr=False)

    @property
    def version_id(self) -> str:
        return f"{self.profile}@{self.version}"

    def _get(self, key: str) -> Any:
        try:
            return self.params[key].value
        except KeyError as exc:
            raise PolicyError(f"{self.version_id} has no parameter {key!r}") from exc

    def raw(self, key: str) -> Any:
        return self._get(key)

    def decimal(self, key: str) -> Decimal:
        return Decimal(str(self._get(key)))

    def int(self, key: str) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise PolicyError(f"{key} must be an integer in {self.version_id}")
        return value

    def bool(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise PolicyError(f"{key} must be true or false in {self.version_id}")
        return value

    def text(self, key: str) -> str:
        return str(self._get(key))

    def basis(self, key: str) -> str:
        return self.params[key].basis

    def describe(self) -> list[dict[str, Any]]:
        return [
            {"key": p.key, "value": _plain(p.value), "basis": p.basis}
            for p in sorted(self.params.values(), key=lambda p: p.key)
        ]


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class PolicyBook:
    profile: str
    title: str
    jurisdiction: str
    versions: tuple[ParameterSet, ...]

    def at(self, day: date) -> ParameterSet:
        """The version in force on ``day``."""
        chosen = None
        for version in self.versions:
            if version.effective_from <= day:
                chosen = version
        if chosen is None:
            first = self.versions[0].effective_from.isoformat()
            raise PolicyError(
                f"profile {self.profile} has no version in force on {day} (first: {first})"
            )
        return chosen

    def version(self, version_id: str) -> ParameterSet:
        for version in self.versions:
            if version.version_id == version_id:
                return version
        raise PolicyError(f"unknown parameter version {version_id}")


def parse_profile(document: Mapping[str, Any]) -> PolicyBook:
    profile = document["profile"]
    jurisdiction = document.get("jurisdiction", "")
    versions: list[ParameterSet] = []
    inherited: dict[str, Parameter] = {}
    for entry in sorted(document["version"], key=lambda v: v["effective_from"]):
        params = dict(inherited)
        for key, spec in entry.get("params", {}).items():
            if "value" not in spec or not spec.get("basis"):
                raise PolicyError(f"{profile}/{entry['id']}: {key} needs a value and a basis")
            params[key] = Parameter(key=key, value=spec["value"], basis=spec["basis"])
        versions.append(
            ParameterSet(
                profile=profile,
                version=entry["id"],
                effective_from=entry["effective_from"],
                jurisdiction=jurisdiction,
                params=params,
            )
        )
        inherited = params
    if not versions:
        raise PolicyError(f"profile {profile} has no versions")
    return PolicyBook(
        profile=profile,
        title=document.get("title", profile),
        jurisdiction=jurisdiction,
        versions=tuple(versions),
    )


def available_profiles() -> list[str]:
    folder = resources.files("kernel") / "policy_profiles"
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


@cache
def load_document(name: str) -> dict[str, Any]:
    """A shipped profile's document by name, or a profile file's by path (a local
    jurisdiction), as TOML reads it."""
    path = Path(name)
    if path.suffix == ".toml" and path.exists():
        text = path.read_text(encoding="utf-8")
    else:
        resource = resources.files("kernel") / "policy_profiles" / f"{name}.toml"
        if not resource.is_file():
            raise PolicyError(f"unknown policy profile {name!r}; shipped: {available_profiles()}")
        text = resource.read_text(encoding="utf-8")
    return tomllib.loads(text)


@cache
def load_profile(name: str) -> PolicyBook:
    """The shipped versions of a profile, without those made in the service
    (``kernel.parameter_versions.live_book`` adds them)."""
    return parse_profile(load_document(name))
