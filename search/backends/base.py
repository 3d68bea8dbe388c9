"""The search contract every engine implements, and the value types that cross it.

Modelled on Wagtail's (django-modelsearch) backends: a setting names a module, the module
exposes ``SearchBackend``, and every engine answers the same ``SearchQuery`` with the same
``SearchResults`` so views, the API and the contract tests never know which engine ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from evaluations.directions import EffectDirection
from portal.indexing import SearchDocument

# The facets a search can be narrowed by, in the order the page shows them. Values are
# stable codes (state USPS code, strategy type slug, metric code...); labels are resolved
# at display time by ``search.selectors`` so renaming a type needs no reindex.
FACETS: tuple[str, ...] = (
    "type",
    "strategy_type",
    "state",
    "region",
    "jurisdiction_kind",
    "evidence_rating",
    "metric",
    "design",
    "direction",
    "year",
)
# Facets whose documents may carry several values (a strategy has several types).
MULTI_VALUED_FACETS: frozenset[str] = frozenset({"strategy_type", "metric", "evidence_rating"})

SORTS: tuple[str, ...] = ("relevance", "newest", "effect_size")
DIRECTIONS: tuple[str, ...] = tuple(EffectDirection.values)
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class SearchQuery:
    """What was asked: text (quoted phrases allowed), filters, facets wanted, sort, page.

    ``filters`` maps a facet to accepted values: values of one facet are OR'd, facets are
    AND'd. ``site`` narrows to one grantee site's documents (not a facet: sites are many).
    """

    text: str = ""
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    facets: tuple[str, ...] = FACETS
    sort: str = "relevance"
    page: int = 1
    page_size: int = 20
    site: str = ""

    def __post_init__(self) -> None:
        unknown = set(self.filters) - set(FACETS)
        if unknown:
            raise ValueError(f"Unknown facet(s): {', '.join(sorted(unknown))}")
        if self.sort not in SORTS:
            raise ValueError(f"Unknown sort {self.sort!r}")
        if self.page < 1 or not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValueError("page must be >= 1 and page_size between 1 and 100")
        # Normalise: drop empty facets so backends never build empty OR groups.
        object.__setattr__(self, "filters", {k: tuple(v) for k, v in self.filters.items() if v})

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def filters_without(self, facet: str) -> dict[str, tuple[str, ...]]:
        """The filters minus one facet: what that facet's counts are computed under, so a
        visitor who ticked one state still sees how many results the other states have."""
        return {k: v for k, v in self.filters.items() if k != facet}

    def with_text(self, text: str) -> SearchQuery:
        return replace(self, text=text)


@dataclass
class SearchHit:
    """One result: the stored document and its snippet (HTML-safe, matches in ``<mark>``)."""

    document: SearchDocument
    score: float = 0.0
    highlight: str = ""


@dataclass
class FacetValue:
    value: str
    count: int
    label: str = ""
    selected: bool = False


@dataclass
class SearchResults:
    """What came back. ``degraded`` means the configured engine did not answer and the
    database served the query instead (the page warns results may be incomplete)."""

    total: int
    hits: list[SearchHit]
    facets: dict[str, list[FacetValue]]
    query: SearchQuery
    did_you_mean: str = ""
    degraded: bool = False
    backend: str = ""

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.query.page_size))


@dataclass
class HealthReport:
    ok: bool
    backend: str
    documents: int | None = None
    detail: str = ""


class SearchBackend:
    """The contract. Subclasses implement every method; none may return partial shapes."""

    name = "base"

    def add(self, document: SearchDocument) -> None:
        self.add_bulk([document])

    def add_bulk(self, documents: list[SearchDocument]) -> int:  # pragma: no cover
        raise NotImplementedError

    def delete(self, doc_type: str, object_id: str) -> None:  # pragma: no cover
        raise NotImplementedError

    def search(self, query: SearchQuery) -> SearchResults:  # pragma: no cover
        raise NotImplementedError

    def suggest(self, prefix: str, *, limit: int = 8) -> list[dict[str, str]]:  # pragma: no cover
        """Titles (with url and type) whose words start with ``prefix``: type-ahead."""
        raise NotImplementedError

    def reset_index(self) -> None:  # pragma: no cover
        """Remove every document."""
        raise NotImplementedError

    def rebuild(self, documents: list[SearchDocument]) -> int:
        """Replace the whole index with ``documents``; engines that can swap atomically do."""
        self.reset_index()
        return self.add_bulk(documents)

    def indexed_keys(self) -> set[str]:  # pragma: no cover
        """``doc_type:object_id`` of everything indexed, for ``search_index --check``."""
        raise NotImplementedError

    def health(self) -> HealthReport:  # pragma: no cover
        raise NotImplementedError
