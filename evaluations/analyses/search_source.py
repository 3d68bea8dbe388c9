"""The ``analysis`` search source: published analyses with a succeeded current result.

Publishing, unpublishing, edits and new results all reach the index through
``schedule_update`` (which drops the document when the analysis is no longer published or has
no usable result); deleting an analysis schedules a delete.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save

from evaluations.analyses import findings, presentation, selectors
from evaluations.analyses.disclosure import public_analysis
from evaluations.models import Analysis, AnalysisResult
from evaluations.signals import observations_changed
from evaluations.stats import EstimateResult
from portal.indexing import (
    SearchDocument,
    SearchSource,
    clean_text,
    jurisdiction_fields,
    schedule_delete,
    schedule_update,
)


class AnalysisSource(SearchSource):
    doc_type = "analysis"
    label = "Analysis result"

    def queryset(self) -> QuerySet:
        return (
            selectors.published_analyses()
            .filter(results__review_status=AnalysisResult.Review.APPROVED)
            .distinct()
        )

    def get_published(self, pk: str) -> Analysis | None:
        """Published and readable by the public: not withdrawn with the data it used."""
        obj = super().get_published(pk)
        stored = selectors.current_result(obj) if obj is not None else None
        if stored is None or not stored.result:
            return None
        public = public_analysis(obj, stored)
        return None if public.withdrawn or public.withheld else obj

    def to_document(self, obj: Analysis) -> SearchDocument | None:
        stored = selectors.current_result(obj)
        result = findings.read_stored(stored.result) if stored is not None else None
        if result is None:
            return None
        # the index is public: it holds the public version, or nothing when withdrawn
        public = public_analysis(obj, stored)
        if public.withdrawn or public.withheld:
            return None
        result = findings.read_stored(public.result)
        if result is None:
            return None
        head = findings.headline(result)
        finding = presentation.finding_for(obj, stored, result)
        direction = findings.effect_direction_for(result, obj.metric.desired_direction)
        strategy_types: list[str] = []
        if obj.strategy_id:
            strategy_types = list(obj.strategy.strategy_types.values_list("slug", flat=True))
        body = clean_text(
            " ".join(
                [
                    obj.metric.name,
                    obj.metric.description,
                    obj.get_design_display(),
                    obj.treatment_area,
                    " ".join(obj.comparison_areas or []),
                    result.method or "",
                    " ".join(findings.caveats(obj, result)),
                ]
            )
        )
        return SearchDocument(
            doc_type=self.doc_type,
            object_id=str(obj.pk),
            title=obj.title,
            url=obj.get_absolute_url(),
            summary=finding,
            body=body,
            finding=finding,
            metrics=[obj.metric.code],
            design=obj.design,
            direction=direction,
            effect_size=_effect_size(head),
            strategy_types=strategy_types,
            year=obj.intervention_date.year,
            published_at=obj.published_at,
            **jurisdiction_fields(obj.site),
        )

    def connect(self) -> None:
        post_save.connect(_analysis_changed, sender=Analysis, weak=False)
        post_delete.connect(_analysis_deleted, sender=Analysis, weak=False)
        post_save.connect(_result_changed, sender=AnalysisResult, weak=False)
        observations_changed.connect(_data_changed, weak=False, dispatch_uid="analysis-index")


def _effect_size(head: EstimateResult) -> float | None:
    """A comparable size: the log rate ratio for counts, the estimate otherwise."""
    value = head.log_estimate if head.scale == "ratio" else head.estimate
    return float(value) if findings.is_finite_number(value) else None


def _analysis_changed(sender, instance: Analysis, **kwargs: Any) -> None:
    schedule_update("analysis", instance.pk)


def _analysis_deleted(sender, instance: Analysis, **kwargs: Any) -> None:
    schedule_delete("analysis", instance.pk)


def _data_changed(sender, *, site, metric_codes, **kwargs: Any) -> None:
    """Published or withdrawn data can withdraw an analysis from (or return it to) the
    public index."""
    published = Analysis.objects.filter(site=site, metric__code__in=list(metric_codes))
    for pk in published.filter(is_published=True).values_list("pk", flat=True):
        schedule_update("analysis", pk)


def _result_changed(sender, instance: AnalysisResult, **kwargs: Any) -> None:
    schedule_update("analysis", instance.analysis_id)
