"""Outcome data: the metric catalogue, observations, their history and the uploads that wrote
them.

Sections: (1) metric catalogue, (2) uploads, (3) observations and history. Analysis models
belong in their own section below these.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.search import index

from evaluations.storage import private_upload_storage

# --- (1) Metric catalogue ------------------------------------------------------------------


class OutcomeMetric(index.Indexed, models.Model):
    """One measure a grantee site reports, e.g. monthly non-fatal shootings in an area.

    The unit decides how values are validated (counts are whole and non-negative, proportions
    lie in 0..1) and the aggregation how periods combine in analyses. Counts flagged
    ``suppress_small_counts`` are shown as "<10" in public views (DOMAIN: privacy).
    """

    class Category(models.TextChoices):
        VIOLENCE = "violence", "Violence"
        CASE_PROCESSING = "case_processing", "Case processing"
        VICTIMS_WITNESSES = "victims_witnesses", "Victims and witnesses"
        SUPERVISION = "supervision", "Supervision"
        WORKLOAD = "workload", "Workload and capacity"

    class UnitKind(models.TextChoices):
        COUNT = "count", "Count"
        RATE = "rate", "Rate per N"
        PROPORTION = "proportion", "Proportion (0–1)"
        DAYS = "days", "Days"
        DOLLARS = "dollars", "Dollars"

    class Direction(models.TextChoices):
        DECREASE = "decrease", "Lower is better"
        INCREASE = "increase", "Higher is better"

    class Aggregation(models.TextChoices):
        SUM = "sum", "Sum"
        MEAN = "mean", "Mean"
        MEDIAN = "median", "Median"

    code = models.SlugField(max_length=64, unique=True, help_text="Used in upload files.")
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=24, choices=Category.choices)
    unit_kind = models.CharField(max_length=12, choices=UnitKind.choices)
    rate_base = models.PositiveIntegerField(
        null=True, blank=True, help_text="For rates: per how many (e.g. 100000)."
    )
    desired_direction = models.CharField(
        max_length=8, choices=Direction.choices, default=Direction.DECREASE
    )
    aggregation = models.CharField(
        max_length=8, choices=Aggregation.choices, default=Aggregation.SUM
    )
    suppress_small_counts = models.BooleanField(
        default=False,
        help_text='Public views show values from 1 to 9 as "<10" (small counts can identify '
        "victims in small places).",
    )
    justice_counts_metric = models.CharField(
        "Justice Counts metric",
        max_length=150,
        blank=True,
        help_text="The matching Justice Counts prosecution metric, if any.",
    )
    ppi_indicator = models.CharField(
        "Prosecutorial Performance Indicator",
        max_length=40,
        blank=True,
        help_text="The matching PPI number, if any (e.g. 'PPI 21').",
    )

    panels = [
        FieldPanel("code"),
        FieldPanel("name"),
        FieldPanel("description"),
        MultiFieldPanel(
            [
                FieldPanel("category"),
                FieldPanel("unit_kind"),
                FieldPanel("rate_base"),
                FieldPanel("desired_direction"),
                FieldPanel("aggregation"),
                FieldPanel("suppress_small_counts"),
            ],
            heading="Unit and analysis",
        ),
        MultiFieldPanel(
            [FieldPanel("justice_counts_metric"), FieldPanel("ppi_indicator")],
            heading="National frameworks",
        ),
    ]
    search_fields = [
        index.SearchField("name"),
        index.SearchField("code"),
        index.SearchField("description"),
        index.FilterField("category"),
    ]

    class Meta:
        ordering = ["category", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def unit_label(self) -> str:
        if self.unit_kind == self.UnitKind.RATE and self.rate_base:
            return f"rate per {self.rate_base:,}"
        return self.get_unit_kind_display()


# --- (2) Uploads ---------------------------------------------------------------------------


class UploadBatch(models.Model):
    """One file (or API payload) a site sent: what it was, who sent it, what it did.

    The validation report is kept so the batch page can show every error and warning later,
    and the counts say what an import changed. Rolling a batch back restores the values it
    replaced (see ``ObservationHistory``) and deletes the rows it created.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        VALIDATING = "validating", "Validating"
        VALIDATED = "validated", "Validated"
        IMPORTING = "importing", "Importing"
        IMPORTED = "imported", "Imported"
        FAILED = "failed", "Failed"
        ROLLED_BACK = "rolled_back", "Rolled back"

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"
        JSON = "json", "JSON rows"

    class Source(models.TextChoices):
        ADMIN = "admin", "Admin upload"
        API = "api", "API"
        COMMAND = "command", "Command line"

    site = models.ForeignKey(
        "portal.GranteeSite", on_delete=models.PROTECT, related_name="upload_batches"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outcome_upload_batches",
    )
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    file_format = models.CharField(max_length=8, choices=Format.choices)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.ADMIN)
    stored_file = models.FileField(
        upload_to="outcome_uploads/%Y/%m/", blank=True, storage=private_upload_storage
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_new = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    progress_percent = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    failure_reason = models.TextField(
        blank=True, help_text="Why the batch failed, in the analyst's terms."
    )
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Last sign of life of the work on this batch."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "upload batch"
        verbose_name_plural = "upload batches"
        indexes = [models.Index(fields=["site", "sha256", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.VALIDATING, self.Status.IMPORTING}


# --- (3) Observations and history ----------------------------------------------------------


# What identifies one observation: a re-upload with the same key updates it. The database
# constraint, the upload checks, the import resource and the exports all use this tuple.
OBSERVATION_NATURAL_KEY: tuple[str, ...] = (
    "site",
    "metric",
    "area",
    "group",
    "period_start",
    "period_end",
    "dimension",
    "category",
)


class OutcomeObservation(models.Model):
    """One value of one metric for one area, group and period at a site.

    The natural key is (site, metric, area, group, period_start, period_end, dimension,
    category); an empty dimension/category is the total. ``batch`` is the upload that last set
    the value and ``created_batch`` the one that first created the row, which is what a
    rollback needs to restore or delete it.
    """

    class Group(models.TextChoices):
        TREATMENT = "treatment", "Treatment"
        COMPARISON = "comparison", "Comparison"

    site = models.ForeignKey(
        "portal.GranteeSite", on_delete=models.PROTECT, related_name="outcome_observations"
    )
    metric = models.ForeignKey(OutcomeMetric, on_delete=models.PROTECT, related_name="observations")
    area = models.CharField(max_length=100, help_text='The unit observed, e.g. "Zone 3".')
    group = models.CharField(max_length=12, choices=Group.choices)
    period_start = models.DateField()
    period_end = models.DateField(help_text="Inclusive.")
    dimension = models.CharField(max_length=60, blank=True, default="")
    category = models.CharField(max_length=100, blank=True, default="")
    value = models.FloatField()
    denominator = models.FloatField(null=True, blank=True)
    notes = models.TextField(blank=True, default="")
    batch = models.ForeignKey(
        UploadBatch, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_batch = models.ForeignKey(
        UploadBatch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="created_observations",
    )
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)

    NATURAL_KEY = OBSERVATION_NATURAL_KEY

    class Meta:
        ordering = ["site", "metric", "area", "group", "period_start", "dimension", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=list(OBSERVATION_NATURAL_KEY), name="observation_natural_key"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="observation_period_order",
            ),
        ]
        indexes = [
            models.Index(fields=["metric", "site", "period_start"]),
            models.Index(fields=["is_published", "site"]),
        ]

    def __str__(self) -> str:
        breakdown = f" [{self.dimension}={self.category}]" if self.dimension else ""
        return (
            f"{self.metric_id} {self.area} {self.group} {self.period_start}–{self.period_end}"
            f"{breakdown}: {self.value}"
        )


def observation_key(obs: OutcomeObservation) -> dict[str, object]:
    """The natural key of ``obs`` as JSON (ids for site and metric, ISO dates), so a history
    row still says which row it was about after a rollback removed that row."""
    key: dict[str, object] = {}
    for name in OBSERVATION_NATURAL_KEY:
        value = getattr(obs, OutcomeObservation._meta.get_field(name).attname)
        key[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return key


class ObservationHistory(models.Model):
    """An old value kept when an upload or a rollback replaced or removed it, so nothing is
    lost and every change is traceable to a batch, a person and a time.

    History is never deleted: when a rollback removes a row its batch created, the row gets
    a *removed* entry (its last value, ``new_value`` empty) and its earlier entries keep the
    row's natural key in ``observation_key`` while their link to the row is cleared."""

    class Action(models.TextChoices):
        UPDATED = "updated", "Updated by upload"
        ROLLED_BACK = "rolled_back", "Restored by rollback"
        REMOVED = "removed", "Removed by rollback"

    observation = models.ForeignKey(
        OutcomeObservation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="history",
        help_text="Empty once a rollback removed the row; observation_key still names it.",
    )
    observation_key = models.JSONField(
        default=dict, blank=True, help_text="The row's natural key (site and metric as ids)."
    )
    batch = models.ForeignKey(UploadBatch, on_delete=models.CASCADE, related_name="history")
    action = models.CharField(max_length=12, choices=Action.choices, default=Action.UPDATED)
    old_value = models.FloatField()
    old_denominator = models.FloatField(null=True, blank=True)
    old_notes = models.TextField(blank=True, default="")
    old_batch = models.ForeignKey(
        UploadBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    old_is_published = models.BooleanField(default=False)
    new_value = models.FloatField(null=True, blank=True, help_text="Empty when removed.")
    changed_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name_plural = "observation history"

    def __str__(self) -> str:
        action = self.get_action_display()
        row = self.observation_id or self.observation_key
        return f"{action} #{row}: {self.old_value} → {self.new_value}"


# --- (4) Analyses ----------------------------------------------------------------------------


class Analysis(models.Model):
    """What to estimate: a design applied to one metric's series for a site (or the program).

    The specification only; every run's numbers live in ``AnalysisResult`` so a re-run after
    corrected data keeps the earlier result for the record.
    """

    class Design(models.TextChoices):
        PRE_POST = "pre_post", "Pre/post (no comparison)"
        DID = "did", "Difference-in-differences"
        ITS = "its", "Interrupted time series"
        ITS_WITH_COMPARISON = "its_with_comparison", "Interrupted time series with comparison"

    class Status(models.TextChoices):
        DRAFT = "draft", "Not run yet"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Up to date"
        FAILED = "failed", "Failed"
        STALE = "stale", "Stale (data changed)"

    title = models.CharField(max_length=200)
    site = models.ForeignKey(
        "portal.GranteeSite",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="analyses",
        help_text="Leave empty for a program-level analysis.",
    )
    design = models.CharField(max_length=24, choices=Design.choices)
    metric = models.ForeignKey(OutcomeMetric, on_delete=models.PROTECT, related_name="analyses")
    treatment_area = models.CharField(max_length=120)
    comparison_areas = models.JSONField(
        default=list, blank=True, help_text="Area names pooled as the comparison group."
    )
    dimension = models.CharField(max_length=60, blank=True, default="")
    category = models.CharField(max_length=120, blank=True, default="")
    intervention_date = models.DateField(help_text="First month of the post period.")
    pre_start = models.DateField(null=True, blank=True)
    post_end = models.DateField(null=True, blank=True)
    options = models.JSONField(
        default=dict,
        blank=True,
        help_text='Design options, e.g. {"seasonality": "month", "cov": "HC1", "hac_lags": 3}.',
    )
    strategy = models.ForeignKey(
        "strategies.StrategyPage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="analyses",
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    is_published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "analyses"
        indexes = [models.Index(fields=["site", "metric"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("analysis_detail", args=[self.pk])

    @property
    def current_result(self) -> AnalysisResult | None:
        return self.results.filter(is_current=True).first()


class AnalysisResult(models.Model):
    """One run of an analysis, i.e. one *version* of its findings: the full result, the exact
    data it used, provenance, and BJA's review.

    ``is_current`` marks the latest run (what the analysis's editors see). The public (page,
    API, CSVs, search, strategy pages) sees the latest version with ``review_status``
    approved: publishing approves the current version, and every later run of a published
    analysis waits as ``pending`` until BJA staff approve or reject it.
    """

    class Review(models.TextChoices):
        DRAFT = "draft", "Not public (no review needed)"
        PENDING = "pending", "Awaiting BJA review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Superseded by a later run"

    analysis = models.ForeignKey(Analysis, on_delete=models.CASCADE, related_name="results")
    version = models.PositiveIntegerField(default=0, help_text="1 for the first run, and so on.")
    review_status = models.CharField(
        max_length=12, choices=Review.choices, default=Review.DRAFT, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    status = models.CharField(
        max_length=12, choices=Analysis.Status.choices, default=Analysis.Status.QUEUED
    )
    is_current = models.BooleanField(default=True)
    result = models.JSONField(default=dict, blank=True, help_text="The stats result's to_dict().")
    data = models.JSONField(
        default=list,
        blank=True,
        help_text="Rows used: period_start, area, group, value, denominator.",
    )
    input_hash = models.CharField(max_length=64, blank=True)
    library_versions = models.JSONField(default=dict, blank=True)
    timings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return (
            f"{self.analysis}, version {self.version} ({self.get_status_display()}, "
            f"{self.created_at:%Y-%m-%d})"
        )


class PublicAnalysisVersion(models.Model):
    """What the public may read of one stored result, for one pattern of hidden inputs.

    Worked out once when the result is stored or the published data change (the public
    pages never fit a model): the analysis re-run with hidden inputs replaced by values
    computed from published figures only (see ``evaluations.analyses.disclosure``).
    """

    analysis_result = models.ForeignKey(
        AnalysisResult, on_delete=models.CASCADE, related_name="public_versions"
    )
    hidden_key = models.CharField(
        max_length=64, help_text="Hash of the hidden inputs and the policy in force."
    )
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["analysis_result", "hidden_key"], name="public_version_per_hidden_set"
            )
        ]

    def __str__(self) -> str:
        return f"Public version of result #{self.analysis_result_id}"


class ProtectedTable(models.Model):
    """The public suppression pattern of one site-metric's published cells.

    Choosing the secondary suppression of a heavily linked table takes seconds to minutes, so
    it is worked out when data are published, withdrawn or corrected (a background task) and
    stored here, keyed by a hash of the published cells and the policy; every public view
    reads it. ``status`` holds "primary", "secondary" or "" per cell, in the order of
    ``selectors.published_versions`` (which the hash covers).
    """

    site = models.ForeignKey(
        "portal.GranteeSite", on_delete=models.CASCADE, related_name="protected_tables"
    )
    metric = models.ForeignKey(
        OutcomeMetric, on_delete=models.CASCADE, related_name="protected_tables"
    )
    cells_hash = models.CharField(
        max_length=64, help_text="Hash of the published cells, their order and the policy."
    )
    status = models.JSONField(default=list, blank=True)
    seconds = models.FloatField(default=0.0, help_text="Time taken to choose the pattern.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "metric", "cells_hash"], name="protected_table_per_cells"
            )
        ]

    def __str__(self) -> str:
        return f"Protection of {self.metric} at site #{self.site_id}"
