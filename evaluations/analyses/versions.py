"""Versions of an analysis's findings, read side: which version the public sees, the list of
past versions, and the side-by-side comparison BJA staff review.

Every run is a version (``AnalysisResult``). The public sees the latest *approved* one; the
analysis's editors also see the latest run. Writes (approve, reject) are in ``services``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from evaluations.analyses import findings, presentation
from evaluations.models import Analysis, AnalysisResult

APPROVED = AnalysisResult.Review.APPROVED
PENDING = AnalysisResult.Review.PENDING


def approved_versions(analysis: Analysis) -> QuerySet[AnalysisResult]:
    """Approved versions, newest first (the first is what the public sees)."""
    return analysis.results.filter(review_status=APPROVED).order_by("-version", "-pk")


def public_version(analysis: Analysis) -> AnalysisResult | None:
    return approved_versions(analysis).first()


def pending_versions(analysis: Analysis) -> QuerySet[AnalysisResult]:
    return analysis.results.filter(review_status=PENDING).order_by("-version", "-pk")


@dataclass(frozen=True)
class VersionSummary:
    """What a reader compares between two versions: the headline estimate and interval, the
    one-sentence finding and the caveats."""

    version: int
    created_at: Any
    data_as_of: str
    input_hash: str
    library_versions: dict[str, str]
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    scale: str
    finding: str
    direction: str
    caveats: list[str] = field(default_factory=list)


def version_summary(analysis: Analysis, stored: AnalysisResult) -> VersionSummary:
    result = stored.result or {}
    rows = stored.data or []
    head = findings.headline(result) if result else None
    periods = sorted(str(r.get("period_start", "")) for r in rows)
    return VersionSummary(
        version=stored.version,
        created_at=stored.finished_at or stored.created_at,
        data_as_of=periods[-1][:7] if periods else "",
        input_hash=stored.input_hash,
        library_versions=dict(stored.library_versions or {}),
        estimate=getattr(head, "estimate", None),
        ci_low=getattr(head, "ci_low", None),
        ci_high=getattr(head, "ci_high", None),
        scale=str(getattr(head, "scale", "") or ""),
        finding=presentation.finding_for(analysis, stored) if result else stored.error,
        direction=(
            findings.effect_direction_for(result, analysis.metric.desired_direction)
            if result
            else ""
        ),
        caveats=findings.caveats(analysis, result, rows) if result else [],
    )


@dataclass(frozen=True)
class VersionComparison:
    """An approved version beside a newer one, for BJA's review."""

    old: VersionSummary | None
    new: VersionSummary

    @property
    def finding_changed(self) -> bool:
        """True when the public finding would read differently (sentence or direction)."""
        if self.old is None:
            return False
        return (self.old.finding, self.old.direction) != (self.new.finding, self.new.direction)


def version_comparison(analysis: Analysis, candidate: AnalysisResult) -> VersionComparison:
    """``candidate`` beside the latest approved version older than it."""
    previous = (
        approved_versions(analysis).exclude(pk=candidate.pk).filter(version__lt=candidate.version)
    ).first()
    return VersionComparison(
        old=version_summary(analysis, previous) if previous else None,
        new=version_summary(analysis, candidate),
    )
