"""Write side of analyses: create (validated against the data), enqueue, run, mark stale on
new data, publish.

Every run stores a new ``AnalysisResult`` (older ones stay for the record with
``is_current=False``) with the exact rows used, a SHA-256 of those rows plus the
specification, the library versions and timings, so a published number can be traced and
reproduced.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from evaluations.analyses import data as analysis_data
from evaluations.analyses import presentation
from evaluations.analyses.disclosure import analysis_inputs_published, public_versions_prepare
from evaluations.analyses.options import options_clean, options_for_design
from evaluations.analyses.permissions import (
    user_can_create_analysis_for,
    user_can_publish_analysis,
    user_can_run_analysis,
)
from evaluations.analyses.versions import VersionComparison, version_comparison
from evaluations.models import Analysis, AnalysisResult, OutcomeMetric
from evaluations.periods import LENGTH_ADJECTIVES
from evaluations.stats import AnalysisError
from evaluations.stats.fitting import MIN_AR1_PERIODS, ar1_min_periods
from evaluations.stats.its import check_seasonal_design
from evaluations.stats.seasons import seasonal_terms
from portal.audit import audit_record
from portal.models import GranteeSite
from portal.page_cache import public_pages_invalidate
from strategies.models import EvidenceRating
from strategies.services import evidence_rating_flag

logger = logging.getLogger(__name__)
User = AbstractBaseUser | AnonymousUser
LIBRARIES = ("numpy", "pandas", "scipy", "statsmodels")


class AnalysisSpecError(ValueError):
    """The specification asks for something the data cannot support; the message says what
    to change."""


# --- Create --------------------------------------------------------------------------------


def _month_start(value: dt.date) -> dt.date:
    return value.replace(day=1)


def _same_day(value: dt.date) -> dt.date:
    return value


def _sub_monthly(
    site: GranteeSite, metric: OutcomeMetric, area: str, dimension: str, category: str
) -> bool:
    """Whether the area's series has periods shorter than a month (weekly data)."""
    for option in analysis_data.area_options(site, metric, dimension=dimension, category=category):
        if option.area == area and option.periods > 1:
            return (option.last - option.first).days / (option.periods - 1) < 20
    return False


def _is_period_start(value: dt.date, option: analysis_data.AreaOption) -> bool:
    """Whether ``value`` starts a period of the area's series (in the data or not): weeks on
    the series' weekday, months on the 1st, quarters and years in step with its first one."""
    first = option.first
    if option.length == "W":
        return (value - first).days % 7 == 0
    if option.length == "M":
        return value.day == 1
    step = 3 if option.length == "Q" else 12
    return value.day == first.day and (value.month - first.month) % step == 0


def intervention_date_check(
    *,
    site: GranteeSite,
    metric: OutcomeMetric,
    treatment_area: str,
    intervention_date: dt.date,
    dimension: str = "",
    category: str = "",
) -> None:
    """Refuse an intervention date that is not the first day of a period of the treatment
    area's series, as the create form does (it offers only period starts), instead of moving
    it silently to the start of the week, month or quarter that contains it."""
    option = next(
        (
            o
            for o in analysis_data.area_options(
                site, metric, dimension=dimension, category=category
            )
            if o.area == treatment_area
        ),
        None,
    )
    if option is None or not option.calendar or _is_period_start(intervention_date, option):
        # A series whose periods are not weeks or calendar months, quarters or years is
        # refused by analysis_validate for that reason, in plain words, not for the date.
        return
    word = analysis_data.PERIOD_NOUNS.get(option.length, "period")
    starts = [d for d in option.starts if d <= intervention_date][-1:] + [
        d for d in option.starts if d > intervention_date
    ][:1]
    nearest = " or ".join(d.isoformat() for d in starts)
    raise AnalysisSpecError(
        f"intervention_date {intervention_date.isoformat()} is not the first day of a "
        f"{word} in {treatment_area}'s {LENGTH_ADJECTIVES.get(option.length, '')} "
        f"series, so it "
        f"would be moved to the start of its {word}. Give the first day of the {word} the "
        f"strategy started in" + (f" (for example {nearest})." if nearest else ".")
    )


def _check_options(options: dict[str, Any]) -> dict[str, Any]:
    try:
        return options_clean(options)
    except ValueError as exc:
        raise AnalysisSpecError(str(exc)) from exc


def analysis_validate(analysis: Analysis) -> None:
    """Check the specification against the site's data; raises ``AnalysisSpecError``.

    The same rules shape the admin form's choices, so a form submission rarely fails here;
    the API relies on it fully.
    """
    if analysis.design not in Analysis.Design.values:
        raise AnalysisSpecError(
            f"Unknown design {analysis.design!r}; choose one of "
            f"{', '.join(Analysis.Design.values)}."
        )
    if analysis.site is None:
        raise AnalysisSpecError("Choose the grantee site whose data the analysis uses.")
    options = {
        opt.area: opt
        for opt in analysis_data.area_options(
            analysis.site, analysis.metric, dimension=analysis.dimension, category=analysis.category
        )
    }
    if not options:
        raise AnalysisSpecError(
            f"{analysis.site.name} has no data for {analysis.metric.name}; upload it first."
        )
    if analysis.treatment_area not in options:
        raise AnalysisSpecError(
            f"{analysis.site.name} has no {analysis.metric.name} data for the area "
            f"{analysis.treatment_area!r}. Areas with data: {', '.join(sorted(options))}."
        )
    needs_comparison = analysis.design in analysis_data.DESIGNS_NEEDING_COMPARISON
    comparison = list(analysis.comparison_areas or [])
    if needs_comparison:
        if not comparison:
            raise AnalysisSpecError(
                f"{analysis.get_design_display()} needs at least one comparison area."
            )
        missing = [a for a in comparison if a not in options]
        if missing:
            raise AnalysisSpecError(
                f"No {analysis.metric.name} data for the comparison area(s) {', '.join(missing)}."
            )
        if analysis.treatment_area in comparison:
            raise AnalysisSpecError("The treatment area cannot also be a comparison area.")
    used = [options[analysis.treatment_area]]
    if needs_comparison:
        used += [options[a] for a in comparison]
    first = max(o.first for o in used)
    last = min(o.last for o in used)
    if analysis.pre_start:
        first = max(first, analysis.pre_start)
    if analysis.post_end:
        last = min(last, analysis.post_end)
    start = analysis.intervention_date
    if not first < start <= last:
        raise AnalysisSpecError(
            f"The intervention date ({start:%B %Y}) must fall after the first month with data "
            f"and no later than the last ({first:%B %Y} to {last:%B %Y})."
        )
    chosen = dict(analysis.options or {})
    try:
        options_for_design(chosen, analysis.design)
    except ValueError as exc:
        raise AnalysisSpecError(str(exc)) from exc
    if chosen.get("errors") == "exact" and analysis_data.metric_kind(analysis.metric) != "count":
        raise AnalysisSpecError(
            f'Option errors "exact" (an exact interval for the ratio of two Poisson totals) '
            f"applies to counts only; {analysis.metric.name} is not a count. Leave it out."
        )
    if len(set(comparison)) != len(comparison):
        repeated = sorted({a for a in comparison if comparison.count(a) > 1})
        raise AnalysisSpecError(
            f"Each comparison area may be chosen once; {', '.join(repeated)} is listed more "
            f"than once. List every comparison area a single time."
        )
    if chosen.get("errors") == "exact" and analysis.design != Analysis.Design.PRE_POST:
        raise AnalysisSpecError(
            'Option errors "exact" (an exact interval for totals) applies to pre/post '
            "comparisons of counts only; leave it out for this design."
        )
    if chosen.get("cov") == "cluster" and analysis.design == Analysis.Design.DID:
        from evaluations.stats.did import MIN_CLUSTERS_EACH_SIDE

        # An analysis has one treatment area, so one treated cluster: the sandwich then
        # rejects about half the time under no effect, however many comparison areas there
        # are (see stats.did.MIN_CLUSTERS_EACH_SIDE).
        raise AnalysisSpecError(
            f"Clustered standard errors need at least {MIN_CLUSTERS_EACH_SIDE} treated areas "
            f"and {MIN_CLUSTERS_EACH_SIDE} comparison areas; an analysis has one treatment "
            f"area, and with one treated cluster a 5% test rejects about half the time when "
            f"nothing happened. Use the default (cov ar1), which allows for the periods "
            f"following on from each other, or HC1."
        )
    try:
        inputs = analysis_data.build_inputs(analysis)
    except AnalysisError as exc:
        # A mixed-frequency series or a comparison area with missing periods is a refusal
        # the user can act on (400 / form error), not a server error.
        raise AnalysisSpecError(str(exc)) from exc
    if analysis.design == Analysis.Design.ITS:
        gaps = analysis_data.missing_periods(inputs.treatment.index)
        if gaps:
            raise AnalysisSpecError(
                f"{analysis.treatment_area} has no data for {analysis_data.period_list(gaps)}. "
                f"An interrupted time series needs a value for every period from the first "
                f"to the last: upload the missing periods (0 if there were no events), or "
                f"narrow the window to a run of periods without gaps."
            )
    minimum = analysis_data.MIN_PERIODS_EACH_SIDE[analysis.design]
    before = int((inputs.treatment.index < inputs.intervention).sum())
    after = len(inputs.treatment) - before
    if before < minimum or after < minimum:
        raise AnalysisSpecError(
            f"{analysis.get_design_display()} needs at least {minimum} periods before and "
            f"after the intervention with data; there are {before} before and {after} after. "
            f"Move the intervention date or widen the window."
        )
    _check_seasonality(analysis.design, chosen, inputs, before)
    periods, counted = before + after, ""
    if inputs.kind == "count" and inputs.comparison is not None:
        # The comparison models of counts use the treated share of each period's events:
        # a period with no event in any chosen area tells them nothing and is left out.
        events = inputs.treatment["value"].add(inputs.comparison["value"], fill_value=0)
        with_events = int((events > 0).sum())
        if with_events < periods:
            periods = with_events
            counted = " with at least one event in the treatment or comparison areas"
    _check_ar1_length(analysis, chosen, inputs.treatment.index, periods, counted)
    _check_hac_lags(chosen, inputs)


def _check_hac_lags(chosen: dict[str, Any], inputs: analysis_data.AnalysisInputs) -> None:
    """``hac_lags`` (Newey-West, continuous outcomes with errors "independent") refused on
    save when the window is too short for it, as the run would refuse it. (On counts the run
    ignores it and says so in a caveat.)"""
    if chosen.get("hac_lags") is None or inputs.kind == "count":
        return
    lags, periods = int(chosen["hac_lags"]), len(inputs.treatment)
    if lags >= periods:
        raise AnalysisSpecError(
            f"hac_lags must be less than the number of periods in the window ({periods}); got "
            f"{lags}. Choose between 0 and {periods - 1}, or leave it out for the default."
        )


def _check_ar1_length(
    analysis: Analysis, chosen: dict[str, Any], pidx: Any, periods: int, counted: str = ""
) -> None:
    """The default AR(1) error model estimates the autocorrelation as well as the terms
    (seasonal ones included, as ``auto`` picks them for this series): refuse on save a window
    too short for it (as the run would), not after queueing."""
    design = analysis.design
    if design == Analysis.Design.DID:
        default = (chosen.get("cov") or "ar1") == "ar1"
    else:
        default = (chosen.get("errors") or "ar1") == "ar1"
    if not default:
        return
    seasonal = 0
    if design != Analysis.Design.DID:
        columns, _text = seasonal_terms(
            pidx, analysis_data.seasonality_option(chosen), int(chosen.get("harmonics") or 2)
        )
        seasonal = 0 if columns is None else columns.shape[1]
    if design in (Analysis.Design.ITS, Analysis.Design.ITS_WITH_COMPARISON):
        impact = chosen.get("impact") or "level_and_slope"
        # intercept and time, then the level change, the slope change or both
        needed = ar1_min_periods(2 + (2 if impact == "level_and_slope" else 1) + seasonal)
    else:
        needed = max(MIN_AR1_PERIODS, ar1_min_periods(2 + seasonal))
    if periods < needed:
        season_words = (
            f" and {seasonal} seasonal terms (choose seasonality 'none' to drop them)"
            if seasonal
            else ""
        )
        raise AnalysisSpecError(
            f"{analysis.get_design_display()} with the default AR(1) error model needs at "
            f"least {needed} periods in all (it estimates the autocorrelation between periods "
            f"as well as the change{season_words}); this window has {periods}{counted}. "
            f"Widen the window, or choose "
            f"{'cov HC1' if design == Analysis.Design.DID else 'errors independent'}, which "
            f"assumes independent periods and is labelled approximate."
        )


def _check_seasonality(
    design: str, chosen: dict[str, Any], inputs: analysis_data.AnalysisInputs, before: int
) -> None:
    """Refuse on save a seasonality the series cannot take (month-of-year terms on a
    quarterly series, too few periods, one year exactly on each side of the start), in the
    words the run would use, instead of storing a draft that can only fail when it runs."""
    seasonality = analysis_data.seasonality_option(chosen)
    if seasonality is None:
        return
    harmonics = int(chosen.get("harmonics") or 2)
    pidx = inputs.treatment.index
    try:
        if design in ("its", "its_with_comparison"):
            impact = chosen.get("impact") or "level_and_slope"
            check_seasonal_design(pidx, before, seasonality, harmonics, impact)
        elif design == Analysis.Design.PRE_POST and (chosen.get("errors") or "ar1") == "ar1":
            seasonal_terms(pidx, seasonality, harmonics)
    except AnalysisError as exc:
        raise AnalysisSpecError(str(exc)) from exc


def strategies_linkable(user: User | AnonymousUser | None, site: GranteeSite):
    """The strategies of ``site`` that ``user`` may link an analysis to: all of them, drafts
    included, for the site's own members and BJA staff; its published ones for anyone else
    (research partners analyse every site's data but do not read drafts)."""
    from strategies.models import StrategyPage

    pages = StrategyPage.objects.filter(grantee_site=site)
    if user is not None and _acts_for(user, site):
        return pages
    return pages.filter(live=True)


def strategy_visible_to(user: User | AnonymousUser | None, analysis: Analysis):
    """The analysis's strategy when ``user`` may see its title (a published strategy, or any
    strategy of a site they act for), else None: a draft's title is its site's and BJA's."""
    strategy = analysis.strategy
    if strategy is None or strategy.live:
        return strategy
    return strategies_linkable(user, analysis.site).filter(pk=strategy.pk).first()


def strategy_link_refused_message(
    strategy_id: int, site: GranteeSite, user: User | AnonymousUser | None
) -> str:
    """Why a strategy cannot be linked, the same whether or not the id exists."""
    if user is not None and _acts_for(user, site):
        return strategy_site_mismatch_message(strategy_id, site)
    return (
        f"strategy_id {strategy_id} is not a published strategy of {site.name}; you can link "
        f"an analysis only to a published strategy of its own site (its site's contributors "
        f"and BJA staff may also link its drafts). Leave strategy_id empty or use one of "
        f"{site.name}'s published strategies."
    )


def _acts_for(user: User | AnonymousUser, site: GranteeSite) -> bool:
    from strategies.access import user_may_act_for_site

    return user_may_act_for_site(user, site.pk)


def strategy_site_mismatch_message(strategy_id: int, site: GranteeSite) -> str:
    """Why a strategy cannot be linked: it is not one of the analysis's own site's."""
    return (
        f"strategy_id {strategy_id} is not a strategy of {site.name}; an analysis can only be "
        f"linked to a strategy of its own site. Leave strategy_id empty or use one of "
        f"{site.name}'s strategies."
    )


def analysis_create(
    *,
    user: User,
    site: GranteeSite,
    design: str,
    metric: OutcomeMetric | str,
    treatment_area: str,
    comparison_areas: list[str] | None,
    intervention_date: dt.date,
    pre_start: dt.date | None = None,
    post_end: dt.date | None = None,
    options: dict[str, Any] | None = None,
    title: str | None = None,
    strategy=None,
    dimension: str = "",
    category: str = "",
) -> Analysis:
    """Create a validated draft analysis; raises PermissionDenied or AnalysisSpecError."""
    if not user_can_create_analysis_for(user, site):
        raise PermissionDenied(f"You may not create analyses for {site}.")
    if strategy is not None and strategy.grantee_site_id != site.pk:
        raise AnalysisSpecError(strategy_site_mismatch_message(strategy.pk, site))
    if strategy is not None and not strategies_linkable(user, site).filter(pk=strategy.pk).exists():
        raise AnalysisSpecError(strategy_link_refused_message(strategy.pk, site, user))
    if isinstance(metric, str):
        found = OutcomeMetric.objects.filter(code=metric).first()
        if found is None:
            raise AnalysisSpecError(f"Unknown metric code {metric!r}.")
        metric = found
    intervention_date_check(
        site=site,
        metric=metric,
        treatment_area=treatment_area,
        intervention_date=intervention_date,
        dimension=dimension,
        category=category,
    )
    design_label = dict(Analysis.Design.choices).get(design, design)
    if _sub_monthly(site, metric, treatment_area, dimension, category):
        # Weekly series are keyed by their start date: keep the chosen day, so the
        # intervention is the week that contains it rather than the week of the 1st.
        period_start = _same_day
    else:
        period_start = _month_start
    analysis = Analysis(
        title=(title or f"{metric.name} in {treatment_area}: {design_label}")[:200],
        site=site,
        design=design,
        metric=metric,
        treatment_area=treatment_area,
        comparison_areas=list(comparison_areas or [])
        if design in analysis_data.DESIGNS_NEEDING_COMPARISON
        else [],
        dimension=dimension,
        category=category,
        intervention_date=period_start(intervention_date),
        pre_start=period_start(pre_start) if pre_start else None,
        post_end=post_end,
        options=_check_options(dict(options or {})),
        strategy=strategy,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    if analysis.pre_start and analysis.post_end and analysis.pre_start >= analysis.post_end:
        raise AnalysisSpecError("The window's start must come before its end.")
    analysis_validate(analysis)
    analysis.save()
    return analysis


# --- Run -----------------------------------------------------------------------------------


def _next_version(analysis: Analysis) -> int:
    latest = analysis.results.order_by("-version").values_list("version", flat=True).first()
    return (latest or 0) + 1


def analysis_enqueue(*, analysis: Analysis, user: User | None = None) -> AnalysisResult:
    """Queue a run: a queued result row now, the task once the transaction commits (so the
    worker sees the row).

    A run already waiting in the queue reads the data as it is when it starts, so a second
    request returns that queued run instead of queueing another.
    """
    if user is not None and not user_can_run_analysis(user, analysis):
        raise PermissionDenied("You may not run this analysis.")
    from evaluations.analyses.tasks import analysis_run_task

    # Lock the analysis row so two requests cannot both find no queued run and add one each;
    # the lock needs a transaction, also when the caller runs in autocommit.
    with transaction.atomic():
        Analysis.objects.select_for_update().filter(pk=analysis.pk).first()
        waiting = analysis.results.filter(status=Analysis.Status.QUEUED).order_by("-pk").first()
        if waiting is not None:
            return waiting
        result = AnalysisResult.objects.create(
            analysis=analysis,
            status=Analysis.Status.QUEUED,
            is_current=False,
            version=_next_version(analysis),
        )
        Analysis.objects.filter(pk=analysis.pk).update(status=Analysis.Status.QUEUED)
        analysis.status = Analysis.Status.QUEUED
        if analysis.is_published:  # its public page now says a new run is waiting
            public_pages_invalidate()
        transaction.on_commit(lambda: analysis_run_task.enqueue(analysis.pk))
        return result


def input_hash(spec: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """SHA-256 of the canonical JSON of the specification and the rows used."""
    canonical = json.dumps(
        {"spec": spec, "data": rows}, sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def analysis_input_hash(analysis: Analysis) -> str:
    """The hash a run would store now: compare it with the current result's to skip re-runs
    on unchanged data (the demo loader does)."""
    inputs = analysis_data.build_inputs(analysis)
    return input_hash(inputs.spec, inputs.rows)


def library_versions() -> dict[str, str]:
    """Versions of the numerical libraries and the portal, stored with each result."""
    out = {}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - every one is a dependency
            out[name] = "unknown"
    try:
        out["portal"] = version("ips-portal")
    except PackageNotFoundError:
        out["portal"] = _pyproject_version()
    return out


def _pyproject_version() -> str:
    import tomllib
    from pathlib import Path

    from django.conf import settings

    path = Path(settings.BASE_DIR) / "pyproject.toml"
    try:
        return tomllib.loads(path.read_text())["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def analysis_run(
    *, analysis_id: int | None = None, analysis: Analysis | None = None
) -> AnalysisResult:
    """Run an analysis now and store the result; the task and the demo call this.

    A queued result row (from ``analysis_enqueue``) is reused; otherwise one is created. Bad
    data is a normal outcome: the result is stored as failed with the library's message.
    """
    if analysis is None:
        analysis = Analysis.objects.select_related("site", "metric").get(pk=analysis_id)
    result = (
        analysis.results.filter(status=Analysis.Status.QUEUED, is_current=False)
        .order_by("-pk")
        .first()
    )
    if result is None:
        result = AnalysisResult(
            analysis=analysis, is_current=False, version=_next_version(analysis)
        )
    started = time.perf_counter()
    result.status = Analysis.Status.RUNNING
    result.started_at = timezone.now()
    result.save()
    Analysis.objects.filter(pk=analysis.pk).update(status=Analysis.Status.RUNNING)
    if analysis.is_published:  # its public page said "waiting to start"; now "in progress"
        public_pages_invalidate()

    timings: dict[str, float] = {}
    result.library_versions = library_versions()
    try:
        inputs = analysis_data.build_inputs(analysis)
        timings["load_ms"] = round((time.perf_counter() - started) * 1000, 2)
        result.data = inputs.rows
        result.months_before, result.months_after = presentation.months_around_start(
            analysis.intervention_date, inputs.rows
        )
        result.input_hash = input_hash(inputs.spec, inputs.rows)
        fit_start = time.perf_counter()
        outcome = analysis_data.run_statistics(inputs, analysis.options or {})
        timings["fit_ms"] = round((time.perf_counter() - fit_start) * 1000, 2)
        result.result = outcome.to_dict()
        result.error = ""
        result.status = Analysis.Status.SUCCEEDED
    except AnalysisError as exc:
        result.error = str(exc)
        result.result = {}
        result.status = Analysis.Status.FAILED
    except Exception:  # a bug, not bad data: record it so the run does not hang as "running"
        logger.exception("Analysis %s failed unexpectedly", analysis.pk)
        result.error = "The analysis failed unexpectedly; the portal team has been notified."
        result.result = {}
        result.status = Analysis.Status.FAILED
    timings["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
    result.timings = timings
    result.finished_at = timezone.now()
    with transaction.atomic():
        approved = _public_version_with_inputs(analysis, result.input_hash)
        if result.status == Analysis.Status.SUCCEEDED and approved is not None:
            # The data came back to what the public version was computed from (say, a
            # correction rolled back while this run waited): nothing new for BJA to review.
            result.review_status = AnalysisResult.Review.SUPERSEDED
            result.review_note = _restored_note(approved)
            result.save()
            _public_version_restore(analysis, approved, dropped=[result])
        else:
            _new_run_make_current(analysis, result)
    public_versions_prepare([analysis])
    return result


def _new_run_make_current(analysis: Analysis, result: AnalysisResult) -> None:
    analysis.results.exclude(pk=result.pk).filter(is_current=True).update(is_current=False)
    result.is_current = True
    result.review_status = _review_status_for_new_run(analysis, result)
    if result.review_status == AnalysisResult.Review.PENDING:
        # Only the newest run waits for review; older waiting ones are out of date.
        analysis.results.filter(review_status=AnalysisResult.Review.PENDING).exclude(
            pk=result.pk
        ).update(review_status=AnalysisResult.Review.SUPERSEDED)
    result.save()
    analysis.status = result.status
    Analysis.objects.filter(pk=analysis.pk).update(status=result.status)
    if analysis.is_published:  # the public result page now shows the new run
        public_pages_invalidate()


def _public_version_with_inputs(analysis: Analysis, inputs_hash: str) -> AnalysisResult | None:
    """The version the public sees, when a published analysis's inputs hash to exactly what
    it was computed from; None otherwise (or for an unpublished analysis)."""
    if not inputs_hash or not Analysis.objects.filter(pk=analysis.pk, is_published=True).exists():
        return None
    approved = (
        analysis.results.filter(review_status=AnalysisResult.Review.APPROVED)
        .order_by("-version", "-pk")
        .first()
    )
    return approved if approved is not None and approved.input_hash == inputs_hash else None


def _restored_note(approved: AnalysisResult) -> str:
    return f"Data restored to the approved inputs of version {approved.version}."


def _public_version_restore(
    analysis: Analysis, approved: AnalysisResult, *, dropped: list[AnalysisResult] = ()
) -> None:
    """Make the approved version current again and drop the versions waiting for review:
    they rest on figures the site no longer has. ``dropped`` are runs the caller already
    marked superseded (a run that found the approved inputs). The change goes on the audit
    log (``ips.analysis.version_restore``), by the system: a data change, not a person,
    caused it. A run that only confirmed the approved version's inputs is not logged."""
    waiting = list(
        analysis.results.filter(review_status=AnalysisResult.Review.PENDING).values_list(
            "version", flat=True
        )
    )
    was_current = analysis.results.filter(is_current=True).values_list("version", flat=True).first()
    was_status = analysis.results.filter(pk=approved.pk).values_list("status", flat=True).first()
    # A run of unchanged data while the approved version is current and nothing waits (say,
    # "Run" pressed again) restores nothing, so it is not logged.
    restored = (
        bool(waiting) or was_current != approved.version or was_status != Analysis.Status.SUCCEEDED
    )
    analysis.results.filter(review_status=AnalysisResult.Review.PENDING).update(
        review_status=AnalysisResult.Review.SUPERSEDED, review_note=_restored_note(approved)
    )
    analysis.results.exclude(pk=approved.pk).filter(is_current=True).update(is_current=False)
    analysis.results.filter(pk=approved.pk).update(
        is_current=True, status=Analysis.Status.SUCCEEDED
    )
    Analysis.objects.filter(pk=analysis.pk).update(status=Analysis.Status.SUCCEEDED)
    analysis.status = Analysis.Status.SUCCEEDED
    if not restored:
        public_pages_invalidate()
        return
    audit_record(
        instance=analysis,
        action="ips.analysis.version_restore",
        user=None,
        changes={
            "current_version": [was_current, approved.version],
            "superseded_versions": sorted({*waiting, *(r.version for r in dropped)}),
            "input_hash": approved.input_hash,
            "note": _restored_note(approved),
        },
    )
    public_pages_invalidate()


def _review_status_for_new_run(analysis: Analysis, result: AnalysisResult) -> str:
    """A succeeded run of a published analysis waits for BJA; anything else needs no review
    (an unpublished analysis is reviewed when it is published; a failed run changes nothing
    the public sees)."""
    published = Analysis.objects.filter(pk=analysis.pk, is_published=True).exists()
    if published and result.status == Analysis.Status.SUCCEEDED:
        return AnalysisResult.Review.PENDING
    return AnalysisResult.Review.DRAFT


# --- Stale on new data ---------------------------------------------------------------------


def analyses_mark_stale(
    *, site: GranteeSite, metric_codes: set[str] | list[str], areas: set[str] | list[str] | None
) -> list[Analysis]:
    """Mark analyses whose data changed as stale and queue their re-runs.

    An analysis is affected when it is for the site and metric, uses one of the changed
    areas (``areas`` None or empty: any area), and the rows it would use now hash differently
    from those its current result used: publishing, or re-uploading identical values, leaves
    a result current instead of sending it back through the worker. Data back to exactly the
    inputs of a published analysis's approved version make that version current again and
    drop the version waiting for review, instead of queueing one more.
    """
    areas = set(areas or [])
    affected = []
    candidates = Analysis.objects.filter(site=site, metric__code__in=list(metric_codes))
    for analysis in candidates.select_related("metric", "site"):
        used = {analysis.treatment_area, *(analysis.comparison_areas or [])}
        if areas and not used & areas:
            continue
        if analysis.results.filter(status=Analysis.Status.QUEUED).exists():
            continue  # the queued run will read the data as it is now
        current = analysis.current_result
        try:
            inputs_hash = analysis_input_hash(analysis)
        except AnalysisError:
            inputs_hash = ""  # the data no longer supports it: re-run to record why
        approved = _public_version_with_inputs(analysis, inputs_hash)
        if approved is not None:
            # Back to exactly what the public version used (e.g. a correction rolled back):
            # it is current again and the version waiting for review is dropped.
            if (
                current is None
                or current.pk != approved.pk
                or current.status != Analysis.Status.SUCCEEDED
            ):
                _public_version_restore(analysis, approved)
            continue
        if current is not None and current.input_hash:
            unchanged = bool(inputs_hash) and current.input_hash == inputs_hash
            if unchanged:
                # Identical inputs never run twice; data changed and changed back is current
                # again.
                if current.status == Analysis.Status.STALE:
                    analysis.results.filter(pk=current.pk).update(status=Analysis.Status.SUCCEEDED)
                    Analysis.objects.filter(pk=analysis.pk).update(status=Analysis.Status.SUCCEEDED)
                continue
        analysis.results.filter(is_current=True).update(status=Analysis.Status.STALE)
        Analysis.objects.filter(pk=analysis.pk).update(status=Analysis.Status.STALE)
        analysis.status = Analysis.Status.STALE
        affected.append(analysis)
    for analysis in affected:
        analysis_enqueue(analysis=analysis)
    return affected


def on_observations_changed(sender, *, site, metric_codes, areas, **kwargs) -> None:
    """Receiver of ``evaluations.signals.observations_changed``: only enqueues.

    Comparing input hashes loads every affected analysis's data, which is work for the
    worker, not for the upload request that sent the signal.
    """
    from evaluations.analyses.tasks import analyses_stale_check_task

    analyses_stale_check_task.enqueue(
        site_id=site.pk,
        metric_codes=sorted(metric_codes),
        areas=sorted(areas) if areas else None,
    )


# --- Publish -------------------------------------------------------------------------------


def analysis_publish(*, user: User, analysis: Analysis) -> Analysis:
    """Make an analysis public; BJA staff only, and only with a succeeded current result."""
    if not user_can_publish_analysis(user):
        raise PermissionDenied("Only BJA staff publish analyses.")
    current = analysis.current_result
    if current is None or current.status != Analysis.Status.SUCCEEDED:
        raise AnalysisSpecError(
            "Only an analysis whose latest run succeeded can be published; run it first."
        )
    if not analysis_inputs_published(analysis, current):
        raise AnalysisSpecError(
            "This analysis used figures the site has not published (or has since changed). "
            "Publish the site's data, re-run the analysis, then publish it."
        )
    if analysis.is_published and current.review_status == AnalysisResult.Review.PENDING:
        raise AnalysisSpecError(
            "This analysis is public and its latest version waits for review: approve or "
            "reject that version instead."
        )
    was_published = analysis.is_published
    with transaction.atomic():
        analysis.is_published = True
        analysis.published_at = analysis.published_at or timezone.now()
        analysis.save(update_fields=["is_published", "published_at", "updated_at"])
        if current.review_status != AnalysisResult.Review.APPROVED:
            # Publishing is BJA's review of the version it makes public.
            current.review_status = AnalysisResult.Review.APPROVED
            current.reviewed_by = user if user.is_authenticated else None
            current.reviewed_at = timezone.now()
            current.review_note = "Approved by publishing the analysis."
            current.save(
                update_fields=["review_status", "reviewed_by", "reviewed_at", "review_note"]
            )
    audit_record(
        instance=analysis,
        action="ips.analysis.publish",
        user=user,
        changes={
            "is_published": [was_published, True],
            "version": current.version,
            "result_id": current.pk,
        },
    )
    public_versions_prepare([analysis])
    public_pages_invalidate()
    return analysis


def analysis_unpublish(*, user: User, analysis: Analysis) -> Analysis:
    """Withdraw an analysis from the public site; BJA staff only."""
    if not user_can_publish_analysis(user):
        raise PermissionDenied("Only BJA staff unpublish analyses.")
    was_published = analysis.is_published
    analysis.is_published = False
    analysis.published_at = None
    analysis.save(update_fields=["is_published", "published_at", "updated_at"])
    audit_record(
        instance=analysis,
        action="ips.analysis.unpublish",
        user=user,
        changes={"is_published": [was_published, False]},
    )
    public_pages_invalidate()
    return analysis


# --- Review of new versions ----------------------------------------------------------------


class VersionReviewRefused(ValueError):
    """The version cannot be reviewed as asked (not waiting for review, or no reason given)."""


def analysis_version_review(
    *, user: User, result: AnalysisResult, approve: bool, note: str = ""
) -> AnalysisResult:
    """BJA staff approve or reject a version waiting for review.

    Approving makes it what the public sees (page, API, CSVs, search, strategy pages); when
    its finding reads differently from the version it replaces, the evidence ratings on the
    linked strategy that rest on this metric are flagged for BJA. Rejecting keeps the
    approved version public and needs a reason. Both go on the audit log.
    """
    if not user_can_publish_analysis(user):
        raise PermissionDenied("Only BJA staff review new versions of analyses.")
    with transaction.atomic():
        result = AnalysisResult.objects.select_for_update().get(pk=result.pk)
        if result.review_status != AnalysisResult.Review.PENDING:
            raise VersionReviewRefused(
                f"Version {result.version} is {result.get_review_status_display().lower()}, "
                "not waiting for review."
            )
        if not approve and not note.strip():
            raise VersionReviewRefused("Say why the version is rejected.")
        analysis = result.analysis
        if approve and analysis.is_published and not analysis_inputs_published(analysis, result):
            raise VersionReviewRefused(
                f"Version {result.version} used figures the site has not published yet. "
                "Publish the site's corrected data first, then approve."
            )
        comparison = version_comparison(analysis, result)
        result.review_status = (
            AnalysisResult.Review.APPROVED if approve else AnalysisResult.Review.REJECTED
        )
        result.reviewed_by = user if user.is_authenticated else None
        result.reviewed_at = timezone.now()
        result.review_note = note.strip()
        result.save(update_fields=["review_status", "reviewed_by", "reviewed_at", "review_note"])
        old, new = comparison.old, comparison.new
        audit_record(
            instance=analysis,
            action="ips.analysis.version_approve" if approve else "ips.analysis.version_reject",
            user=user,
            changes={
                "version": result.version,
                "replaces_version": old.version if old else None,
                "estimate": [old.estimate if old else None, new.estimate],
                "finding": [old.finding if old else None, new.finding],
                "input_hash": result.input_hash,
                "note": result.review_note,
            },
        )
        if approve and comparison.finding_changed:
            _flag_ratings_resting_on(analysis, comparison)
        # Saving the analysis tells its listeners (the search index) what the public sees.
        analysis.save(update_fields=["updated_at"])
    public_pages_invalidate()
    return result


def _flag_ratings_resting_on(analysis: Analysis, comparison: VersionComparison) -> int:
    """Flag the linked strategy's ratings on this analysis's metric for BJA's attention."""
    if analysis.strategy_id is None:
        return 0
    note = (
        f"The finding of “{analysis.title}” changed in version {comparison.new.version}: "
        f"was “{comparison.old.finding}”, now “{comparison.new.finding}”."
    )
    ratings = EvidenceRating.objects.filter(
        page_id=analysis.strategy_id, metric_code=analysis.metric.code
    )
    for rating in ratings:
        evidence_rating_flag(rating=rating, note=note)
    return len(ratings)
