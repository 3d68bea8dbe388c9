"""The admin's two-step analysis form: first a site and metric that have data, then a design,
areas and dates offered only as far as that data supports them."""

from __future__ import annotations

import datetime as dt

from django import forms

from evaluations.analyses import data as analysis_data
from evaluations.analyses import options as options_module
from evaluations.models import Analysis, OutcomeMetric
from portal.models import GranteeSite

# What each design does, shown after its label ("Difference-in-differences. The change..."),
# so none repeats the design's name.
DESIGN_HELP = {
    Analysis.Design.PRE_POST: (
        "Compares the treatment area's average before and after the start date. Simple, but "
        "anything else that changed at the same time (or a trend already under way) is "
        "counted as the strategy's effect."
    ),
    Analysis.Design.DID: (
        "The change in the treatment area minus the change in the comparison areas over the "
        "same months. Assumes both would have moved in parallel; a pre-trend check warns "
        "when they did not before the start."
    ),
    Analysis.Design.ITS: (
        "Fits the trend before the start and asks whether the level or the slope changed "
        "after it. Needs at least 3 periods on each side and 7 in all (better 8 or more a side)."
    ),
    Analysis.Design.ITS_WITH_COMPARISON: (
        "The same, for the treatment and the comparison areas, reporting how much more the "
        "treatment area changed. The strongest design offered here."
    ),
}


def month_label(value: dt.date) -> str:
    return value.strftime("%B %Y")


def period_label(value: dt.date, length: str) -> str:
    """How a period start reads in a choice list: "March 2024", "Week of 4 March 2024" or
    "Q2 2024 (from 1 April 2024)"."""
    if length == "W":
        return f"Week of {value.day} {value:%B %Y}"
    if length == "Q":
        return f"Q{(value.month - 1) // 3 + 1} {value.year} (from {value.day} {value:%B %Y})"
    if length == "Y":
        return f"Year from {value.day} {value:%B %Y}"
    return month_label(value)


def month_range(first: dt.date, last: dt.date) -> list[dt.date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = (current + dt.timedelta(days=32)).replace(day=1)
    return months


class SourceForm(forms.Form):
    """Step 1: one choice of site and metric, listing only pairs that have data."""

    source = forms.ChoiceField(
        label="Site and metric",
        help_text=(
            "Only sites you may analyse and metrics they have uploaded data for are listed. "
            "Upload data first if the metric you want is missing."
        ),
    )

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for site in sites.order_by("name"):
            metrics = analysis_data.metrics_with_data(site)
            if metrics:
                choices.append(
                    (site.name, [(f"{site.pk}:{m.pk}", f"{site.name}: {m.name}") for m in metrics])
                )
        self.fields["source"].choices = choices

    def clean_source(self) -> tuple[GranteeSite, OutcomeMetric]:
        site_id, metric_id = self.cleaned_data["source"].split(":")
        return GranteeSite.objects.get(pk=site_id), OutcomeMetric.objects.get(pk=metric_id)


class DisablingRadioSelect(forms.RadioSelect):
    """Radio buttons that show unavailable choices disabled, so users see why they are not
    offered rather than wondering where they went."""

    def __init__(self, *args, disabled: set[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled = disabled or set()

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled:
            option["attrs"]["disabled"] = True
        return option


class AnalysisForm(forms.Form):
    """Step 2: the rest of the specification, with choices limited to the chosen data."""

    design = forms.ChoiceField(label="Design")
    treatment_area = forms.ChoiceField(label="Treatment area", help_text="Where the strategy ran.")
    comparison_areas = forms.MultipleChoiceField(
        label="Comparison areas",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Similar areas without the strategy; each is kept as its own series and compared "
            "over the months all of them have. Ignored by the pre/post and single-series "
            "designs."
        ),
    )
    intervention_date = forms.ChoiceField(
        label="Start of the strategy",
        help_text="The first period (month, week or quarter, as the data are reported) counted "
        "as 'after'. Only period starts with data on both sides are offered.",
        error_messages={
            "invalid_choice": "%(value)s is not the first day of a period in this series. "
            "Choose one of the listed period starts (for weekly data the week's first day, "
            "for quarterly data the quarter's first day)."
        },
    )
    pre_start = forms.ChoiceField(
        label="Window start", required=False, help_text="Leave empty to use all earlier data."
    )
    post_end = forms.ChoiceField(
        label="Window end", required=False, help_text="Leave empty to use all later data."
    )
    errors = forms.ChoiceField(
        label="Error model (pre/post and time series)",
        required=False,
        choices=[
            ("ar1", "Autocorrelated (AR(1), REML), recommended"),
            ("independent", "Independent periods (Newey-West / Welch / quasi-Poisson)"),
            ("exact", "Exact interval for the totals (pre/post of counts only)"),
        ],
        initial="ar1",
        help_text="Monthly figures follow on from each other; the recommended model allows for "
        "that and held its stated error rates in the calibration benchmark. The independent "
        "model is kept for comparison and gives intervals that are too narrow.",
    )
    seasonality = forms.ChoiceField(
        label="Seasonality (pre/post and time series)",
        required=False,
        choices=[
            ("auto", "Automatic: yearly cycle once there are two years of data"),
            ("none", "None"),
            ("month", "Month of year (needs 24 months)"),
            ("quarter", "Quarter of year (quarterly data)"),
            ("fourier", "Smooth yearly cycle (Fourier terms)"),
        ],
        initial="auto",
        help_text="Use for outcomes with a summer peak, such as shootings.",
    )
    harmonics = forms.IntegerField(
        label="Fourier harmonic pairs",
        required=False,
        min_value=options_module.BOUNDS["harmonics"][0],
        max_value=options_module.BOUNDS["harmonics"][1],
        help_text="How detailed the smooth yearly cycle is; leave empty for 2.",
    )
    impact = forms.ChoiceField(
        label="Impact model (time series)",
        required=False,
        choices=[
            ("level_and_slope", "Level and slope change, recommended"),
            ("level", "Level change only"),
            ("slope", "Slope change only"),
        ],
        initial="level_and_slope",
    )
    cov = forms.ChoiceField(
        label="Standard errors (difference-in-differences)",
        required=False,
        choices=[
            ("ar1", "Autocorrelated periods (AR(1)), recommended"),
            ("HC1", "Robust (HC1), treats periods as independent"),
            ("classical", "Classical"),
        ],
        initial="ar1",
        help_text="The recommended errors allow for months following on from each other.",
    )
    hac_lags = forms.IntegerField(
        label="Autocorrelation lags (independent error model only)",
        required=False,
        min_value=options_module.BOUNDS["hac_lags"][0],
        max_value=options_module.BOUNDS["hac_lags"][1],
        help_text="Leave empty for the standard rule, floor(4 (n/100)^(2/9)).",
    )
    title = forms.CharField(
        label="Title", required=False, max_length=200, help_text="Leave empty for a default."
    )
    strategy = forms.TypedChoiceField(
        label="Strategy page",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="Links the published result from this site's strategy page.",
    )
    run_now = forms.BooleanField(
        label="Run it now", required=False, initial=True, help_text="Queue the first run."
    )

    def __init__(self, *args, site: GranteeSite, metric: OutcomeMetric, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.site, self.metric = site, metric
        self.areas = analysis_data.area_options(site, metric)
        has_comparison = len(self.areas) > 1
        disabled = (
            set() if has_comparison else {str(d) for d in analysis_data.DESIGNS_NEEDING_COMPARISON}
        )
        self.fields["design"].choices = [
            (value, f"{label}. {DESIGN_HELP[value]}") for value, label in Analysis.Design.choices
        ]
        self.fields["design"].widget = DisablingRadioSelect(
            choices=self.fields["design"].choices, disabled=disabled
        )
        self.fields["design"].initial = (
            Analysis.Design.ITS_WITH_COMPARISON if has_comparison else Analysis.Design.ITS
        )
        if not has_comparison:
            self.fields["design"].help_text = (
                "Designs with a comparison are unavailable: this site has no comparison-area "
                "data for this metric."
            )
        area_choices = [
            (
                a.area,
                f"{a.area} ({a.group}, {a.periods} periods, "
                f"{month_label(a.first)} to {month_label(a.last)})",
            )
            for a in sorted(self.areas, key=lambda a: (a.group != "treatment", a.area))
        ]
        self.fields["treatment_area"].choices = area_choices
        self.fields["comparison_areas"].choices = [
            c
            for c in area_choices
            if any(a.area == c[0] and a.group == "comparison" for a in self.areas)
        ] or area_choices
        first = min(a.first for a in self.areas)
        last = max(a.last for a in self.areas)
        months = month_range(first, last)
        lengths = {a.length for a in self.areas}
        length = lengths.pop() if len(lengths) == 1 else "M"
        # Weekly and quarterly series start their periods on their own days: offer exactly
        # those starts, so the intervention is never moved to a period the data do not have.
        starts = months if length == "M" else sorted({d for a in self.areas for d in a.starts})
        inner = starts[2:-1] if len(starts) > 4 else starts
        self.fields["intervention_date"].choices = [
            (d.isoformat(), period_label(d, length)) for d in inner
        ]
        if inner:
            self.fields["intervention_date"].initial = inner[len(inner) // 2].isoformat()
        window = [("", "All data")] + [(m.isoformat(), month_label(m)) for m in months]
        self.fields["pre_start"].choices = window
        self.fields["post_end"].choices = window
        from evaluations.analyses.services import strategies_linkable

        # drafts only for the site's own members and BJA staff (research partners read no
        # drafts; without a user, published strategies only)
        pages = strategies_linkable(user, site).order_by("title")
        self.fields["strategy"].choices = [("", "None")] + [(p.pk, p.title) for p in pages]

    def clean(self):
        cleaned = super().clean()
        for name in ("intervention_date", "pre_start", "post_end"):
            value = cleaned.get(name)
            cleaned[name] = dt.date.fromisoformat(value) if value else None
        if not self.errors:
            try:
                self.options()
            except ValueError as exc:
                self.add_error("hac_lags" if "hac_lags" in str(exc) else None, str(exc))
        return cleaned

    def options(self) -> dict:
        cleaned = self.cleaned_data
        options: dict = {
            "cov": cleaned.get("cov") or "ar1",
            "errors": cleaned.get("errors") or "ar1",
            "impact": cleaned.get("impact") or "level_and_slope",
            "seasonality": cleaned.get("seasonality") or "auto",
        }
        for name in ("hac_lags", "harmonics"):
            if cleaned.get(name) is not None:
                options[name] = cleaned[name]
        return options_module.options_clean(options)
