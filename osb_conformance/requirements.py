"""The spec model: the requirement catalogue in ``specs/requirements.yaml``."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

SPEC_REPOSITORY = "https://github.com/openservicebrokerapi/servicebroker/blob"
LEVELS = ("MUST", "MUST NOT", "SHOULD", "SHOULD NOT", "MAY")


@dataclass(frozen=True)
class Requirement:
    """One requirement of the spec, in our words, with its level and section."""

    id: str
    level: str
    subject: str
    since: str
    section: str
    area: str
    text: str
    needs: tuple[str, ...] = ()
    note: str | None = None
    untestable: str | None = None

    @property
    def severity(self) -> str:
        """What a violation means: ``fail`` (MUST), ``warn`` (SHOULD) or ``info`` (MAY)."""
        if self.level.startswith("MUST"):
            return "fail"
        if self.level.startswith("SHOULD"):
            return "warn"
        return "info"

    def applies_to(self, api_version: str) -> bool:
        """Whether the requirement holds at the API version under test."""
        return version_tuple(self.since) <= version_tuple(api_version)

    def url(self, api_version: str) -> str:
        """A link to the requirement's section of the spec at the version under test."""
        document, _, anchor = self.section.rpartition(":")
        page = "profile.md" if document == "profile" else "spec.md"
        return f"{SPEC_REPOSITORY}/v{api_version}/{page}#{anchor}"


class RequirementCatalogue:
    """All requirements, looked up by ID."""

    def __init__(self, requirements: list[Requirement], spec_version: str) -> None:
        self.spec_version = spec_version
        self._by_id = {r.id: r for r in requirements}

    def __contains__(self, requirement_id: str) -> bool:
        return requirement_id in self._by_id

    def __getitem__(self, requirement_id: str) -> Requirement:
        return self._by_id[requirement_id]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> RequirementCatalogue:
        requirements = [
            Requirement(
                id=entry["id"], level=entry["level"], subject=entry.get("subject", "broker"),
                since=str(entry.get("since", "2.11")), section=entry["section"],
                area=entry["area"], text=entry["text"], needs=tuple(entry.get("needs") or ()),
                note=entry.get("note"), untestable=entry.get("untestable"),
            )
            for entry in data["requirements"]
        ]
        return cls(requirements, str(data.get("spec_version", "2.17")))


@functools.cache
def load_catalogue() -> RequirementCatalogue:
    """The catalogue shipped with the package."""
    text = resources.files("osb_conformance.specs").joinpath("requirements.yaml").read_text(
        encoding="utf-8"
    )
    # libyaml's loader reads the catalogue ten times faster; every xdist worker reads it.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return RequirementCatalogue.from_data(yaml.load(text, Loader=loader))  # noqa: S506


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))
