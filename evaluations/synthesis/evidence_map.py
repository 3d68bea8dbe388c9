"""The evidence gap map at /evidence-map/: strategy types against outcome categories.

Each cell counts the published results (public, approved, non-withdrawn analyses linked to a
published strategy of that type, on a metric of that category) and carries the strongest
evidence rating behind them: BJA's rating where BJA has rated that outcome, otherwise the
rules' suggestion (``synthesis.ratings``), marked as such. Every cell with listed results
links to /compare/ for its most-reported metric and type.

A published result whose public version is withheld (its figures would reveal small counts)
is not listed, but it is evidence: the cell counts it apart, as "results withheld (small
counts)", so a combination whose only results are withheld does not read as a gap. Only how
many results are withheld is shown, never a figure of theirs. An empty cell is a gap: no
published result at all.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from evaluations.analyses import selectors as analysis_selectors
from evaluations.models import OutcomeMetric
from evaluations.synthesis.evidence import rating_suggestions_for
from strategies.choices import RATING_RANK, Rating
from strategies.models import EvidenceRating, StrategyType

RATED_BY_BJA = "BJA rating"
SUGGESTED = "suggested"
WITHHELD_LABEL = "Results withheld (small counts)"
NO_EVIDENCE_LABEL = "No evidence"
LISTED_LABEL = "Published results"


@dataclass
class MapCell:
    """One strategy type × outcome category: its results, metrics and strongest rating."""

    type_slug: str
    category: str
    count: int = 0
    metrics: Counter = field(default_factory=Counter)
    metric_names: dict[str, str] = field(default_factory=dict)
    rating: str = ""
    rating_source: str = ""
    category_label: str = ""
    withheld: int = 0
    withheld_results: list = field(default_factory=list)

    @property
    def rating_label(self) -> str:
        return Rating(self.rating).label if self.rating else "No results"

    @property
    def only_withheld(self) -> bool:
        """Published results exist, but every one is withheld from public view."""
        return not self.count and bool(self.withheld)

    @property
    def evidence_label(self) -> str:
        """What the cell holds: listed results, only withheld ones, or none (a gap)."""
        if self.count:
            return LISTED_LABEL
        return WITHHELD_LABEL if self.withheld else NO_EVIDENCE_LABEL

    @property
    def top_metric(self) -> str:
        return self.metrics.most_common(1)[0][0] if self.metrics else ""

    def compare_url(self, metric_code: str = "") -> str:
        metric_code = metric_code or self.top_metric
        if not metric_code:
            return ""
        return "/compare/?" + urlencode({"metric": metric_code, "strategy_type": self.type_slug})

    @property
    def metric_links(self) -> list[tuple[str, int, str]]:
        """(metric name, results, compare URL) for every metric in the cell, most first."""
        return [
            (self.metric_names[code], n, self.compare_url(code))
            for code, n in self.metrics.most_common()
        ]


@dataclass
class EvidenceMap:
    categories: list[tuple[str, str]]
    rows: list[tuple[StrategyType, list[MapCell]]]

    @property
    def withheld_cells(self) -> int:
        """How many cells hold results withheld from public view."""
        return sum(1 for _t, cells in self.rows for cell in cells if cell.withheld)

    def table_rows(self) -> list[dict[str, object]]:
        """One row per cell for the CSV: type, category, results, rating and its source."""
        labels = dict(self.categories)
        out = []
        for strategy_type, cells in self.rows:
            for cell in cells:
                out.append(
                    {
                        "strategy_type": strategy_type.name,
                        "category": labels[cell.category],
                        "results": cell.count,
                        "metrics": "; ".join(f"{n} ({c})" for n, c, _u in cell.metric_links),
                        "rating": cell.rating_label if cell.count else "",
                        "rating_source": cell.rating_source,
                        "withheld": cell.withheld,
                        "evidence": cell.evidence_label,
                        "compare": cell.compare_url(),
                    }
                )
        return out


MAP_COLUMNS: list[tuple[str, str]] = [
    ("strategy_type", "Strategy type"),
    ("category", "Outcome category"),
    ("results", "Published results"),
    ("metrics", "Metrics (results)"),
    ("rating", "Strongest rating"),
    ("rating_source", "Rating source"),
    ("withheld", "Results withheld (small counts)"),
    ("evidence", "Evidence"),
    ("compare", "Comparison"),
]


def _stronger(current: str, candidate: str) -> bool:
    return not current or RATING_RANK[candidate] > RATING_RANK[current]


def _strategy_ratings(strategy_ids: set[int]) -> dict[tuple[int, str], tuple[str, str]]:
    """(strategy id, metric code) → (rating, source): BJA's rating, else the suggestion."""
    found: dict[tuple[int, str], tuple[str, str]] = {}
    for sid in strategy_ids:
        for suggestion in rating_suggestions_for(sid):
            found[(sid, suggestion.outcome)] = (suggestion.rating, SUGGESTED)
    rated = EvidenceRating.objects.filter(page_id__in=strategy_ids).exclude(rating=Rating.NOT_RATED)
    for r in rated.exclude(metric_code=""):
        found[(r.page_id, r.metric_code)] = (r.rating, RATED_BY_BJA)
    return found


def evidence_map() -> EvidenceMap:
    """The whole map: every strategy type (rows) against every outcome category (columns)."""
    categories = list(OutcomeMetric.Category.choices)
    types = list(StrategyType.objects.order_by("name"))
    cells = {
        (t.slug, c): MapCell(t.slug, c, category_label=label)
        for t in types
        for c, label in categories
    }
    analyses = analysis_selectors.published_analyses().filter(strategy__live=True)
    listed, withheld = [], []
    memo: dict = {}
    for analysis in analyses.prefetch_related("strategy__strategy_types").order_by("pk"):
        item = analysis_selectors.listed(analysis, memo)
        if item is not None:
            listed.append(item)
        elif analysis_selectors.withheld_from_public(analysis, memo):
            withheld.append(analysis)
    for a in withheld:
        for strategy_type in a.strategy.strategy_types.all():
            cell = cells[(strategy_type.slug, a.metric.category)]
            cell.withheld += 1
            cell.withheld_results.append(a)
    ratings = _strategy_ratings({item.analysis.strategy_id for item in listed})
    per_cell: dict[tuple[str, str], list] = defaultdict(list)
    for item in listed:
        a = item.analysis
        for strategy_type in a.strategy.strategy_types.all():
            per_cell[(strategy_type.slug, a.metric.category)].append(a)
    for key, members in per_cell.items():
        cell = cells[key]
        for a in members:
            cell.count += 1
            cell.metrics[a.metric.code] += 1
            cell.metric_names[a.metric.code] = a.metric.name
            rating, source = ratings.get((a.strategy_id, a.metric.code), ("", ""))
            if rating and _stronger(cell.rating, rating):
                cell.rating, cell.rating_source = rating, source
    rows = [(t, [cells[(t.slug, c)] for c, _label in categories]) for t in types]
    return EvidenceMap(categories=categories, rows=rows)
