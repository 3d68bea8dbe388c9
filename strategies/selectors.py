"""Reads for the strategies app: the filtered public list, related strategies, documents,
tables as CSV, the feed's items, and the hook that shows linked evaluation results."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import QueryDict
from wagtail import hooks

from strategies.choices import RATING_RANK, Rating, StrategySort
from strategies.forms import EVIDENCE_RATING_PERMISSION, StrategyFilterForm
from strategies.models import EvidenceRating, StrategyPage, StrategyType

# Upper bound on full-text matches fed into the listing; the portal holds hundreds of
# strategies, not tens of thousands.
MAX_TEXT_MATCHES = 1000


@dataclass(frozen=True)
class StrategyFilters:
    """What a visitor asked /strategies/ for, already validated."""

    q: str = ""
    types: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    ratings: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    sort: str = StrategySort.NEWEST

    @property
    def is_filtered(self) -> bool:
        return any((self.q, self.types, self.states, self.kinds, self.ratings, self.statuses)) or (
            self.year_from,
            self.year_to,
        ) != (None, None)


@dataclass
class ParsedFilters:
    """The bound form (for redisplay and errors) and, when valid, the filters."""

    form: StrategyFilterForm
    filters: StrategyFilters | None = None
    errors: list[str] = field(default_factory=list)


def strategy_type_choices() -> list[tuple[str, str]]:
    return list(StrategyType.objects.order_by("name").values_list("slug", "name"))


def strategy_filters_parse(query: QueryDict) -> ParsedFilters:
    """Validate the listing's query string; unknown or malformed values are errors (→ 400).

    Parameters the form does not know (``page``, tracking tags) are ignored.
    """
    form = StrategyFilterForm(query, type_choices=strategy_type_choices())
    if not form.is_valid():
        errors = [
            f"{form.fields[name].label if name in form.fields else 'Filters'}: {message}"
            for name, messages in form.errors.items()
            for message in messages
        ]
        return ParsedFilters(form=form, errors=errors)
    data = form.cleaned_data
    filters = StrategyFilters(
        q=data["q"],
        types=tuple(data["type"]),
        states=tuple(data["state"]),
        kinds=tuple(data["kind"]),
        ratings=tuple(data["rating"]),
        statuses=tuple(data["status"]),
        year_from=data["year_from"],
        year_to=data["year_to"],
        sort=data["sort"] or StrategySort.NEWEST,
    )
    return ParsedFilters(form=form, filters=filters)


def strategies_published() -> QuerySet[StrategyPage]:
    """Live, unrestricted strategies with what a listing card shows, and their rating rank."""
    rank = Case(
        *[When(evidence_ratings__rating=code, then=Value(n)) for code, n in RATING_RANK.items()],
        default=Value(RATING_RANK[Rating.NOT_RATED]),
        output_field=IntegerField(),
    )
    return (
        StrategyPage.objects.live()
        .public()
        .select_related("grantee_site__jurisdiction")
        .prefetch_related("strategy_types", "evidence_ratings")
        .annotate(rating_rank=Coalesce(Max(rank), Value(RATING_RANK[Rating.NOT_RATED])))
    )


def _text_matches(q: str) -> Q:
    """Pages matching the keywords in Wagtail's search index or in the card's own fields."""
    # Only words reach the full-text engine: quotes and operators are query syntax to SQLite
    # FTS5 and PostgreSQL, and a stray '"' from a user must not become a syntax error.
    words = " ".join(re.findall(r"\w+", q))
    search_pks = (
        [
            page.pk
            for page in StrategyPage.objects.live().search(words, operator="and")[:MAX_TEXT_MATCHES]
        ]
        if words
        else []
    )
    return (
        Q(pk__in=search_pks)
        | Q(title__icontains=q)
        | Q(summary__icontains=q)
        | Q(grantee_site__name__icontains=q)
        | Q(grantee_site__jurisdiction__name__icontains=q)
        | Q(pk__in=StrategyPage.objects.filter(tags__name__icontains=q).values("pk"))
    )


def strategies_filtered(
    filters: StrategyFilters, *, strategy_type: StrategyType | None = None
) -> QuerySet[StrategyPage]:
    """The public list for ``filters`` (and, on a type's landing page, that type).

    Filters on several values of one field are OR'd; different fields are AND'd. Relations
    are filtered through sub-queries so a strategy never appears twice.
    """
    pages = strategies_published()
    if strategy_type is not None:
        pages = pages.filter(
            pk__in=StrategyPage.objects.filter(strategy_types=strategy_type).values("pk")
        )
    if filters.types:
        pages = pages.filter(
            pk__in=StrategyPage.objects.filter(strategy_types__slug__in=filters.types).values("pk")
        )
    if filters.states:
        pages = pages.filter(grantee_site__jurisdiction__state__in=filters.states)
    if filters.kinds:
        pages = pages.filter(grantee_site__jurisdiction__kind__in=filters.kinds)
    if filters.statuses:
        pages = pages.filter(status__in=filters.statuses)
    if filters.year_from is not None:
        pages = pages.filter(start_year__gte=filters.year_from)
    if filters.year_to is not None:
        pages = pages.filter(start_year__lte=filters.year_to)
    if filters.ratings:
        pages = pages.filter(rating_rank__in=[RATING_RANK[r] for r in filters.ratings])
    if filters.q:
        pages = pages.filter(_text_matches(filters.q))
    if filters.sort == StrategySort.AZ:
        return pages.order_by("title", "pk")
    if filters.sort == StrategySort.RATING:
        return pages.order_by("-rating_rank", "title", "pk")
    return pages.order_by("-first_published_at", "pk")


def strategy_types_with_counts() -> QuerySet[StrategyType]:
    """Every strategy type with how many published strategies use it (for 'browse by type')."""
    return StrategyType.objects.annotate(
        published_count=Count(
            "strategy_pages",
            filter=Q(strategy_pages__live=True) & Q(strategy_pages__view_restrictions=None),
            distinct=True,
        )
    ).order_by("name")


def related_strategies(page: StrategyPage, *, limit: int = 4) -> list[StrategyPage]:
    """Strategies to read next: the authors' picks first, then those sharing types or tags.

    Computed suggestions are ranked by how many types and tags they share, then by recency.
    Works on an unsaved preview too (its types and tags are read from memory).
    """
    chosen = [
        link.related
        for link in page.related_links.all()
        if link.related_id and link.related.live and link.related_id != page.pk
    ]
    if len(chosen) >= limit:
        return chosen[:limit]
    type_ids = [t.pk for t in page.strategy_types.all()]
    tag_ids = [t.pk for t in page.tags.all()]
    if not type_ids and not tag_ids:
        return chosen
    shared = Value(0)
    if type_ids:
        shared += Count("strategy_types", filter=Q(strategy_types__in=type_ids), distinct=True)
    if tag_ids:
        shared += Count("tagged_items", filter=Q(tagged_items__tag_id__in=tag_ids), distinct=True)
    excluded = [c.pk for c in chosen] + ([page.pk] if page.pk else [])
    candidates = (
        strategies_published()
        .exclude(pk__in=excluded)
        .annotate(shared=shared)
        .filter(shared__gt=0)
        .order_by("-shared", "-first_published_at", "pk")
    )
    return chosen + list(candidates[: limit - len(chosen)])


def strategy_documents(page: StrategyPage) -> list[dict]:
    """Documents attached in the body, once each, in reading order, with their descriptions."""
    seen: set[int] = set()
    documents = []
    for block in page.body:
        if block.block_type != "document" or block.value["document"] is None:
            continue
        document = block.value["document"]
        if document.pk in seen:
            continue
        seen.add(document.pk)
        documents.append({"document": document, "description": block.value["description"]})
    return documents


def strategy_image_ids(page: StrategyPage) -> set[int]:
    """Primary keys of the images the page's body shows as figures."""
    return {
        block.value["image"].pk
        for block in page.body
        if block.block_type == "figure" and block.value["image"] is not None
    }


def strategy_table_rows(page: StrategyPage, block_id: str) -> tuple[str, list[list[str]]] | None:
    """The caption and cells of one table block in ``page``'s body, for the CSV download."""
    for block in page.body:
        if block.block_type == "table" and str(block.id) == block_id:
            table = block.value["table"] or {}
            rows = [
                ["" if cell is None else str(cell) for cell in row] for row in table.get("data", [])
            ]
            return block.value["caption"], rows
    return None


def strategies_for_feed(*, limit: int = 30) -> QuerySet[StrategyPage]:
    """The newest published strategies, newest first."""
    return (
        StrategyPage.objects.live()
        .public()
        .select_related("grantee_site__jurisdiction")
        .prefetch_related("strategy_types")
        .order_by("-first_published_at", "-pk")[:limit]
    )


# Wagtail hook through which higher apps list their published results on a strategy page:
# each registered function takes the page and returns objects with ``get_absolute_url``
# (and optionally ``finding`` and ``direction``), shown in the page's "Outcome results".
LINKED_RESULTS_HOOK = "strategy_page_linked_results"


def linked_results_for(page: StrategyPage) -> list:
    """Published results linked to ``page``, from every app that registered the hook."""
    results: list = []
    for fn in hooks.get_hooks(LINKED_RESULTS_HOOK):
        results.extend(fn(page))
    return results


def evidence_ratings_to_check(
    user: AbstractBaseUser | AnonymousUser, *, page_id: int | None = None
) -> QuerySet[EvidenceRating]:
    """Ratings flagged because a finding their reason rests on changed, for BJA staff.

    Empty for anyone who may not set ratings (contributors, research partners, anonymous
    visitors): the flag is BJA's to act on. ``page_id`` narrows it to one strategy. Ordered
    by strategy title, then outcome.
    """
    if not (user.is_authenticated and user.has_perm(EVIDENCE_RATING_PERMISSION)):
        return EvidenceRating.objects.none()
    ratings = EvidenceRating.objects.filter(needs_review=True).select_related("page")
    if page_id is not None:
        ratings = ratings.filter(page_id=page_id)
    return ratings.order_by("page__title", "outcome", "pk")
