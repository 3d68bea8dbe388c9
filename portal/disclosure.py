"""The disclosure policy every public output applies, read from settings (in ``portal`` so
that every app and the shared templates read the same one).

``PORTAL_SMALL_COUNT_THRESHOLD`` (default 10) sets the protected range 1..threshold-1;
``PORTAL_DISCLOSURE`` the rules (see docs/privacy.md):

- ``SECONDARY_SUPPRESSION``: hide further cells so linked tables cannot give a small count
  back (on; turning it off is for tests that show the audit catching the leak);
- ``SUPPRESSED_MARKER``: the text shown for a cell hidden to protect another;
- ``RELATIONS``: which linked tables are protected (``breakdown``, ``period``, ``area``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

RELATION_KINDS = ("breakdown", "period", "area")
DEFAULTS = {
    "SECONDARY_SUPPRESSION": True,
    "SUPPRESSED_MARKER": "suppressed",
    "RELATIONS": RELATION_KINDS,
}


@dataclass(frozen=True)
class DisclosurePolicy:
    threshold: int
    secondary_suppression: bool
    suppressed_marker: str
    relations: tuple[str, ...]

    @property
    def small_label(self) -> str:
        """What a small count shows: "<10" for the default threshold."""
        return f"<{self.threshold}"

    @property
    def protected_range(self) -> tuple[int, int]:
        return 1, self.threshold - 1


def disclosure_policy() -> DisclosurePolicy:
    """The policy in force; raises ``ValueError`` naming the setting when it is unusable."""
    rules = {**DEFAULTS, **getattr(settings, "PORTAL_DISCLOSURE", {})}
    threshold = int(settings.PORTAL_SMALL_COUNT_THRESHOLD)
    if threshold < 2:
        raise ValueError("PORTAL_SMALL_COUNT_THRESHOLD must be 2 or more.")
    unknown = set(rules["RELATIONS"]) - set(RELATION_KINDS)
    if unknown:
        raise ValueError(
            f"PORTAL_DISCLOSURE['RELATIONS'] has {sorted(unknown)}; use {list(RELATION_KINDS)}."
        )
    if set(rules) - set(DEFAULTS):
        raise ValueError(
            f"PORTAL_DISCLOSURE has unknown keys {sorted(set(rules) - set(DEFAULTS))}."
        )
    return DisclosurePolicy(
        threshold=threshold,
        secondary_suppression=bool(rules["SECONDARY_SUPPRESSION"]),
        suppressed_marker=str(rules["SUPPRESSED_MARKER"]),
        relations=tuple(rules["RELATIONS"]),
    )
