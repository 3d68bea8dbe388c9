"""Strategy write-ups: the index at /strategies/, one page per strategy, and their taxonomy.

A strategy belongs to the grantee site that wrote it; site contributors may only act on their
own site's strategies (enforced by ``strategies.access`` and the admin form), and
only BJA staff publish, through the "BJA review" workflow (``strategies.services``).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.forms import CheckboxSelectMultiple, Select
from django.http import HttpRequest, HttpResponse
from django.utils.functional import cached_property
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from taggit.models import TaggedItemBase
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    InlinePanel,
    MultiFieldPanel,
    PageChooserPanel,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from strategies.blocks import StrategyBodyBlock
from strategies.choices import RATING_RANK, Rating, StrategyStatus
from strategies.forms import StrategyPageForm
from strategies.panels import EvidenceRatingsToCheckPanel


class StrategyType(models.Model):
    """A kind of strategy (e.g. GunStat); BJA staff manage the list as a snippet."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(
        max_length=80, unique=True, help_text="Used in /strategies/type/<slug>/."
    )
    description = models.TextField(
        help_text="One paragraph describing the approach, shown on the type's landing page."
    )

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")]

    class Meta:
        ordering = ["name"]
        verbose_name = "strategy type"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        index_page = StrategyIndexPage.objects.live().first()
        if index_page is None:
            return ""
        return index_page.url + index_page.reverse_subpage("strategy_type", args=[self.slug])


class StrategyIndexPage(RoutablePageMixin, Page):
    """/strategies/: the filterable list, one landing page per type, and the feed link."""

    intro = models.TextField(blank=True, help_text="A sentence or two above the list.")

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["portal.HomePage"]
    subpage_types = ["strategies.StrategyPage"]
    max_count = 1

    class Meta:
        verbose_name = "strategy index page"

    def permissions_for_user(self, user):
        from strategies.access import StrategyIndexPermissionTester

        return StrategyIndexPermissionTester(user, self)

    @path("")
    def strategy_list(self, request: HttpRequest) -> HttpResponse:
        from strategies.views import strategy_list_view

        return strategy_list_view(request, self)

    @re_path(r"^type/(?P<slug>[-\w]+)/$", name="strategy_type")
    def strategy_type(self, request: HttpRequest, slug: str) -> HttpResponse:
        from strategies.views import strategy_list_view

        return strategy_list_view(request, self, type_slug=slug)

    def get_template(self, request, *args, **kwargs) -> str:
        return "strategies/strategy_index_page.html"


class StrategyPageTag(TaggedItemBase):
    """Target crimes and topics (e.g. 'carjacking', 'domestic violence')."""

    content_object = ParentalKey(
        "strategies.StrategyPage", related_name="tagged_items", on_delete=models.CASCADE
    )


class StrategyPage(Page):
    """One strategy a grantee site developed, written up for other prosecutors."""

    Status = StrategyStatus

    summary = models.TextField(
        max_length=600,
        help_text="One plain-text paragraph: shown in listings, search results and the feed.",
    )
    grantee_site = models.ForeignKey(
        "portal.GranteeSite",
        on_delete=models.PROTECT,
        related_name="strategy_pages",
        help_text="The office that developed the strategy. You can only choose your own site.",
    )
    start_year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    strategy_types = ParentalManyToManyField(
        StrategyType, related_name="strategy_pages", blank=False
    )
    tags = ClusterTaggableManager(
        through=StrategyPageTag,
        blank=True,
        verbose_name="target crimes and topics",
        help_text="e.g. non-fatal shootings, carjacking, witness intimidation.",
    )
    body = StreamField(StrategyBodyBlock(), use_json_field=True)

    content_panels = [
        # Shown to BJA staff only, and only when a rating needs checking.
        EvidenceRatingsToCheckPanel(),
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                # A plain select, not the snippet chooser, so only the editor's sites show.
                FieldPanel("grantee_site", widget=Select),
                FieldRowPanel([FieldPanel("start_year"), FieldPanel("status")]),
                FieldPanel("strategy_types", widget=CheckboxSelectMultiple),
                FieldPanel("tags"),
            ],
            heading="Who, when and what kind",
        ),
        FieldPanel("body"),
        InlinePanel("partner_agencies", label="Partner agencies"),
        InlinePanel("related_links", label="Related strategies (chosen by hand)"),
        # Evidence ratings are not edited here: BJA staff set them with their own action
        # (``strategies.services.evidence_rating_set``), outside the page's revisions.
    ]

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("body"),
        index.RelatedFields("grantee_site", [index.SearchField("name")]),
        index.RelatedFields("strategy_types", [index.SearchField("name")]),
        index.RelatedFields("tags", [index.SearchField("name")]),
        index.FilterField("grantee_site"),
        index.FilterField("status"),
        index.FilterField("start_year"),
    ]

    parent_page_types = ["strategies.StrategyIndexPage"]
    subpage_types: list[str] = []
    base_form_class = StrategyPageForm

    class Meta:
        verbose_name = "strategy"
        verbose_name_plural = "strategies"

    def permissions_for_user(self, user):
        from strategies.access import StrategyPagePermissionTester

        return StrategyPagePermissionTester(user, self)

    # Evidence ratings are BJA's decisions, not page content: they are kept out of revisions,
    # and loading any revision (to preview, revert or publish it) takes the ratings as they
    # stand now, so no revert, save or approval by anyone restores an old rating.
    RATINGS_RELATION = "evidence_ratings"

    def serializable_data(self) -> dict:
        data = super().serializable_data()
        data.pop(self.RATINGS_RELATION, None)
        return data

    def with_content_json(self, content: dict):
        content = {k: v for k, v in content.items() if k != self.RATINGS_RELATION}
        return super().with_content_json(content)

    @cached_property
    def ratings(self) -> list[EvidenceRating]:
        """Per-outcome ratings, best evidence first (works on unsaved revisions too)."""
        return sorted(
            self.evidence_ratings.all(), key=lambda r: (-RATING_RANK[r.rating], r.outcome)
        )

    @property
    def overall_rating(self) -> str:
        """The best-evidence rating across outcomes, for the listing badge and sorting."""
        ratings = self.ratings
        return ratings[0].rating if ratings else Rating.NOT_RATED

    @property
    def overall_rating_label(self) -> str:
        return Rating(self.overall_rating).label

    def get_context(self, request: HttpRequest, *args, **kwargs) -> dict:
        from strategies.selectors import (
            linked_results_for,
            related_strategies,
            strategy_documents,
        )

        context = super().get_context(request, *args, **kwargs)
        context["related_strategies"] = related_strategies(self)
        context["documents"] = strategy_documents(self)
        context["linked_results"] = linked_results_for(self)
        context["strategy_index"] = self.get_parent().specific
        return context


class PartnerAgency(Orderable):
    """An agency the office worked with, and what it contributed."""

    class Kind(models.TextChoices):
        POLICE = "police", "Police / sheriff"
        SUPERVISION = "supervision", "Probation / parole"
        RESEARCH = "research", "Research partner"
        COMMUNITY = "community", "Community group"
        COURT = "court", "Court"
        VICTIM_SERVICES = "victim_services", "Victim services"
        OTHER = "other", "Other"

    page = ParentalKey(StrategyPage, on_delete=models.CASCADE, related_name="partner_agencies")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    contribution = models.CharField(
        max_length=300, blank=True, help_text="What they did, in a phrase."
    )

    panels = [FieldPanel("name"), FieldPanel("kind"), FieldPanel("contribution")]

    def __str__(self) -> str:
        return self.name


class RelatedStrategy(Orderable):
    """A strategy the authors point readers to; shown before the computed suggestions."""

    page = ParentalKey(StrategyPage, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(
        StrategyPage, on_delete=models.CASCADE, related_name="+", verbose_name="strategy"
    )

    panels = [PageChooserPanel("related", page_type="strategies.StrategyPage")]


class EvidenceRating(Orderable):
    """A CrimeSolutions-style rating of the strategy on one outcome, set by BJA staff."""

    page = ParentalKey(StrategyPage, on_delete=models.CASCADE, related_name="evidence_ratings")
    outcome = models.CharField(max_length=150, help_text="e.g. 'Non-fatal shootings'.")
    metric_code = models.CharField(
        max_length=64,
        blank=True,
        help_text="The outcome metric's code in the evaluations catalogue, when there is one.",
    )
    rating = models.CharField(max_length=20, choices=Rating.choices, default=Rating.NOT_RATED)
    reason = models.CharField(max_length=300, help_text="Why, in one sentence.")
    rated_on = models.DateField("date", default=datetime.date.today)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    needs_review = models.BooleanField(
        default=False,
        editable=False,
        help_text="Set when a finding the rating rests on changed; cleared when BJA rates again.",
    )
    review_note = models.TextField(blank=True, editable=False)

    panels = [
        FieldRowPanel([FieldPanel("outcome"), FieldPanel("metric_code")]),
        FieldPanel("rating"),
        FieldPanel("reason"),
        FieldPanel("rated_on"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "evidence rating"

    def __str__(self) -> str:
        return f"{self.outcome}: {self.get_rating_display()}"

    @property
    def rank(self) -> int:
        return RATING_RANK[self.rating]
