"""The database backend's storage: one row per indexed document (its facet values inline), and
the vocabulary "did you mean" draws on.

Full-text structures are vendor-specific and created by migration 0002: on PostgreSQL a
generated, weighted ``search_vector`` column with a GIN index; on SQLite an FTS5 table kept
in step by triggers. The model does not declare them so the same model serves both.
"""

from __future__ import annotations

from django.db import models


class SearchEntry(models.Model):
    """A flattened ``SearchDocument`` (see ``search.backends.base``)."""

    doc_type = models.CharField(max_length=24)
    object_id = models.CharField(max_length=64)
    title = models.CharField(max_length=400)
    url = models.CharField(max_length=500, blank=True)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    finding = models.TextField(blank=True)
    state = models.CharField(max_length=4, blank=True)
    region = models.CharField(max_length=20, blank=True)
    jurisdiction = models.CharField(max_length=200, blank=True)
    jurisdiction_kind = models.CharField(max_length=16, blank=True)
    design = models.CharField(max_length=32, blank=True)
    direction = models.CharField(max_length=20, blank=True)
    effect_size = models.FloatField(null=True, blank=True)
    # |effect_size|, stored so "largest effect first" can use an index.
    effect_magnitude = models.FloatField(null=True, blank=True)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    site = models.CharField(max_length=80, blank=True)
    site_name = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    strategy_types = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(default=list, blank=True)
    evidence_ratings = models.JSONField(default=list, blank=True)
    # "facet=value" for every facet value the document carries (multi-valued facets give
    # several): filters test membership and counts unnest it, with no join (see 0002 for
    # the PostgreSQL GIN index).
    facet_keys = models.JSONField(default=list, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    indexed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["doc_type", "object_id"], name="search_entry_unique")
        ]
        indexes = [
            models.Index(fields=["-published_at"], name="search_entry_newest"),
            models.Index(fields=["-effect_magnitude"], name="search_entry_effect"),
            models.Index(fields=["site"], name="search_entry_site"),
        ]
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return f"{self.doc_type}:{self.object_id} {self.title}"


class SearchTerm(models.Model):
    """A word seen in an indexed title or summary: the vocabulary for "did you mean"."""

    term = models.CharField(max_length=60, unique=True)

    def __str__(self) -> str:
        return self.term
