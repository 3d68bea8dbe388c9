"""The default engine: the portal's own database, no server needed.

Documents live in ``search.models.SearchEntry``, one row each, facet values inline in
``facet_keys``. Full text uses PostgreSQL's weighted ``search_vector`` (GIN, ``ts_rank``,
``websearch_to_tsquery``, ``ts_headline``) or SQLite's FTS5 table (``bm25`` with column
weights, ``snippet``); both are created by migration 0002. Filters and facet counts are plain
membership tests on each row's ``facet_keys`` and one unnesting GROUP BY per facet group.
"""

from __future__ import annotations

import difflib
import html
import json
import logging
from collections import defaultdict
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from search.backends.base import (
    FacetValue,
    HealthReport,
    SearchDocument,
    SearchHit,
    SearchQuery,
    SearchResults,
)
from search.backends.base import (
    SearchBackend as BaseSearchBackend,
)
from search.models import SearchEntry, SearchTerm
from search.query_text import fts5_expression, parse_text, words_of

logger = logging.getLogger(__name__)

# Private-use characters mark matches inside snippets; the text is escaped afterwards and
# they become <mark> tags, so indexed text can never inject HTML.
MARK_START, MARK_END = "\ue000", "\ue001"
TS_CONFIG = "english"
BATCH_SIZE = 1000
MIN_TERM_LENGTH = 3


def snippet_html(raw: str) -> str:
    """Escape a snippet and turn the engine's match markers into ``<mark>`` tags."""
    return html.escape(raw, quote=False).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def entry_from_document(document: SearchDocument) -> SearchEntry:
    return SearchEntry(**entry_values(document))


# SearchEntry's JSON columns: COPY sends them as JSON text.
JSON_FIELDS = frozenset({"strategy_types", "metrics", "evidence_ratings", "facet_keys", "extra"})


def entry_values(document: SearchDocument) -> dict[str, Any]:
    """The ``SearchEntry`` field values for ``document`` (all but ``id`` and ``indexed_at``)."""
    return dict(
        doc_type=document.doc_type,
        object_id=str(document.object_id),
        title=document.title[:400],
        url=document.url,
        summary=document.summary,
        body=document.body,
        finding=document.finding,
        state=document.state,
        region=document.region,
        jurisdiction=document.jurisdiction,
        jurisdiction_kind=document.jurisdiction_kind,
        design=document.design,
        direction=document.direction,
        effect_size=document.effect_size,
        effect_magnitude=abs(document.effect_size) if document.effect_size is not None else None,
        year=document.year,
        site=document.site,
        site_name=document.site_name,
        published_at=document.published_at,
        strategy_types=list(document.strategy_types),
        metrics=list(document.metrics),
        evidence_ratings=list(document.evidence_ratings),
        facet_keys=facet_keys(document),
        extra=document.extra,
    )


def facet_key(facet: str, value: str) -> str:
    return f"{facet}={value}"


def facet_keys(document: SearchDocument) -> list[str]:
    return [
        facet_key(facet, value)
        for facet, values in document.facet_values().items()
        for value in values
    ]


def document_from_entry(entry: SearchEntry) -> SearchDocument:
    return SearchDocument(
        doc_type=entry.doc_type,
        object_id=entry.object_id,
        title=entry.title,
        url=entry.url,
        summary=entry.summary,
        body="",  # never shipped back: results show the snippet instead
        strategy_types=entry.strategy_types,
        state=entry.state,
        region=entry.region,
        jurisdiction=entry.jurisdiction,
        jurisdiction_kind=entry.jurisdiction_kind,
        evidence_ratings=entry.evidence_ratings,
        metrics=entry.metrics,
        design=entry.design,
        direction=entry.direction,
        effect_size=entry.effect_size,
        year=entry.year,
        site=entry.site,
        site_name=entry.site_name,
        finding=entry.finding,
        published_at=entry.published_at,
        extra=entry.extra,
    )


class SearchBackend(BaseSearchBackend):
    """Full text, facets and suggestions on PostgreSQL or SQLite."""

    name = "database"

    # --- Writing ---------------------------------------------------------------------------

    def add_bulk(self, documents: list[SearchDocument]) -> int:
        """Insert or replace ``documents`` (delete then bulk insert: one statement per batch
        instead of one UPDATE per row, and the generated vector/FTS triggers stay right)."""
        return self._store(documents, replace=True)

    def _store(self, documents: list[SearchDocument], *, replace: bool) -> int:
        if not documents:
            return 0
        latest = {d.key: d for d in documents}
        with transaction.atomic():
            if replace:
                by_type: dict[str, list[str]] = defaultdict(list)
                for document in latest.values():
                    by_type[document.doc_type].append(str(document.object_id))
                for doc_type, ids in by_type.items():
                    for start in range(0, len(ids), BATCH_SIZE):
                        SearchEntry.objects.filter(
                            doc_type=doc_type, object_id__in=ids[start : start + BATCH_SIZE]
                        ).delete()
            docs = list(latest.values())
            insert = self._copy if connection.vendor == "postgresql" else self._insert
            for start in range(0, len(docs), BATCH_SIZE):
                insert(docs[start : start + BATCH_SIZE])
        return len(latest)

    @staticmethod
    def _terms(documents: list[SearchDocument]) -> set[str]:
        return {
            word[:60]
            for document in documents
            for word in words_of(f"{document.title} {document.summary}")
            if len(word) >= MIN_TERM_LENGTH and word.isalpha()
        }

    def _insert(self, documents: list[SearchDocument]) -> None:
        SearchEntry.objects.bulk_create([entry_from_document(d) for d in documents])
        terms = self._terms(documents)
        known = set(SearchTerm.objects.filter(term__in=terms).values_list("term", flat=True))
        SearchTerm.objects.bulk_create(
            [SearchTerm(term=t) for t in sorted(terms - known)],
            ignore_conflicts=True,
            batch_size=5000,
        )

    def _copy(self, documents: list[SearchDocument]) -> None:
        """PostgreSQL: rows and new vocabulary through COPY. ``bulk_create`` spent most of
        its time quoting parameters on the client; COPY streams values the server parses
        itself (the generated ``search_vector`` is still computed by the server)."""
        names = list(entry_values(documents[0]))
        table = SearchEntry._meta.db_table
        columns = ", ".join(
            connection.ops.quote_name(SearchEntry._meta.get_field(name).column)
            for name in [*names, "indexed_at"]
        )
        now = timezone.now()
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for document in documents:
                    values = entry_values(document)
                    copy.write_row(
                        [
                            json.dumps(values[name]) if name in JSON_FIELDS else values[name]
                            for name in names
                        ]
                        + [now]
                    )
            raw.execute(
                "CREATE TEMP TABLE IF NOT EXISTS search_term_load (term varchar(60)) ON COMMIT DROP"
            )
            with raw.copy("COPY search_term_load (term) FROM STDIN") as copy:
                for term in sorted(self._terms(documents)):
                    copy.write_row((term,))
            raw.execute(
                f"INSERT INTO {SearchTerm._meta.db_table} (term) "
                "SELECT DISTINCT term FROM search_term_load ON CONFLICT (term) DO NOTHING"
            )
            raw.execute("TRUNCATE search_term_load")

    def delete(self, doc_type: str, object_id: str) -> None:
        SearchEntry.objects.filter(doc_type=doc_type, object_id=str(object_id)).delete()

    def reset_index(self) -> None:
        with transaction.atomic():
            SearchEntry.objects.all().delete()
            SearchTerm.objects.all().delete()

    def rebuild(self, documents: list[SearchDocument]) -> int:
        # One transaction: readers keep seeing the old index until the new one commits.
        with transaction.atomic():
            self.reset_index()
            return self._store(documents, replace=False)  # the index is empty: nothing to replace

    def indexed_keys(self) -> set[str]:
        return {
            f"{doc_type}:{object_id}"
            for doc_type, object_id in SearchEntry.objects.values_list("doc_type", "object_id")
        }

    def health(self) -> HealthReport:
        try:
            count = SearchEntry.objects.count()
        except Exception as exc:  # noqa: BLE001 - health reports, never raises
            return HealthReport(ok=False, backend=self.name, detail=str(exc))
        return HealthReport(
            ok=True, backend=self.name, documents=count, detail=f"vendor={connection.vendor}"
        )

    # --- Reading ---------------------------------------------------------------------------

    def _text_q(self, text: str) -> Q | None:
        """Rows matching ``text``; None when it has no searchable words."""
        parsed = parse_text(text)
        if parsed.is_empty:
            return None
        if connection.vendor == "postgresql":
            return Q(
                RawSQL(
                    "search_vector @@ websearch_to_tsquery(%s::regconfig, %s)",
                    [TS_CONFIG, text],
                    output_field=_boolean(),
                )
            )
        if connection.vendor == "sqlite":
            return Q(
                pk__in=RawSQL(
                    "SELECT rowid FROM search_entry_fts WHERE search_entry_fts MATCH %s",
                    [fts5_expression(parsed)],
                )
            )
        words = Q()
        for word in parsed.words:
            words &= Q(title__icontains=word) | Q(summary__icontains=word) | Q(body__icontains=word)
        return words

    @staticmethod
    def _filters_q(filters: dict[str, tuple[str, ...]], site: str = "") -> Q:
        """Any of a facet's values (OR), every facet (AND): membership tests on
        ``facet_keys`` (jsonb ``?|`` with a GIN index on PostgreSQL, ``json_each`` on
        SQLite)."""
        condition = Q(site=site) if site else Q()
        for facet, values in filters.items():
            keys = [facet_key(facet, v) for v in values]
            if connection.vendor == "postgresql":
                condition &= Q(RawSQL("facet_keys ?| %s", [keys], output_field=_boolean()))
            elif connection.vendor == "sqlite":
                marks = ", ".join(["%s"] * len(keys))
                condition &= Q(
                    RawSQL(
                        "EXISTS (SELECT 1 FROM json_each(search_searchentry.facet_keys) "
                        f"WHERE json_each.value IN ({marks}))",
                        keys,
                        output_field=_boolean(),
                    )
                )
            else:
                any_value = Q()
                for key in keys:
                    any_value |= Q(facet_keys__contains=[key])
                condition &= any_value
        return condition

    def _matching(
        self, query: SearchQuery, filters: dict[str, tuple[str, ...]]
    ) -> QuerySet[SearchEntry]:
        queryset = SearchEntry.objects.filter(self._filters_q(filters, query.site))
        text_q = self._text_q(query.text)
        return queryset.filter(text_q) if text_q is not None else queryset

    def search(self, query: SearchQuery) -> SearchResults:
        matching = self._matching(query, query.filters)
        if connection.vendor == "postgresql":
            counts, total = self._facet_counts_one_pass(query)
            total = matching.count() if total is None else total
        else:
            total = matching.count()
            counts = self._facet_counts_grouped(query)
        hits = self._hits(query, matching) if total else []
        facets = self._facet_values(query, counts)
        did_you_mean = "" if total else self.did_you_mean(query)
        return SearchResults(
            total=total,
            hits=hits,
            facets=facets,
            query=query,
            did_you_mean=did_you_mean,
            backend=self.name,
        )

    def _hits(self, query: SearchQuery, matching: QuerySet[SearchEntry]) -> list[SearchHit]:
        limit, offset = query.page_size, query.offset
        ranked: list[tuple[int, float]]
        has_text = not parse_text(query.text).is_empty
        if query.sort == "relevance" and has_text and connection.vendor in {"postgresql", "sqlite"}:
            ranked = self._ranked_ids(query, limit, offset)
        else:
            if query.sort == "effect_size":
                order = ["-effect_magnitude", "-published_at", "id"]
            else:
                order = ["-published_at", "id"]
            if connection.vendor == "postgresql":
                # PostgreSQL puts NULLs first in DESC order; documents without a value go last.
                order = [
                    F(name[1:]).desc(nulls_last=True) if name.startswith("-") else name
                    for name in order
                ]
            ids = list(
                matching.order_by(*order).values_list("id", flat=True)[offset : offset + limit]
            )
            ranked = [(pk, 0.0) for pk in ids]
        entries = SearchEntry.objects.in_bulk([pk for pk, _ in ranked])
        snippets = self._snippets(query.text, [pk for pk, _ in ranked]) if has_text else {}
        hits = []
        for pk, score in ranked:
            entry = entries.get(pk)
            if entry is None:
                continue
            highlight = snippets.get(pk) or html.escape(entry.summary[:300], quote=False)
            hits.append(SearchHit(document_from_entry(entry), score=score, highlight=highlight))
        return hits

    def _ranked_ids(self, query: SearchQuery, limit: int, offset: int) -> list[tuple[int, float]]:
        """Ids ordered by relevance: title (A / weight 10) over summary (B / 4) over body."""
        if connection.vendor == "postgresql":
            # One query on one table, so the planner can combine the text and facet GIN
            # indexes before ranking (a self-join ranked every text match first).
            score = RawSQL(
                "ts_rank(search_vector, websearch_to_tsquery(%s::regconfig, %s))",
                [TS_CONFIG, query.text],
                output_field=FloatField(),
            )
            rows = (
                self._matching(query, query.filters)
                .annotate(score=score)
                .order_by(F("score").desc(), F("published_at").desc(nulls_last=True), "id")
                .values_list("id", "score")[offset : offset + limit]
            )
            return [(pk, float(value)) for pk, value in rows]
        filtered = SearchEntry.objects.filter(self._filters_q(query.filters, query.site))
        has_filters = bool(query.filters or query.site)
        filter_sql, filter_params = filtered.values("id").query.sql_with_params()
        sql = (
            "SELECT rowid, -bm25(search_entry_fts, 10.0, 4.0, 1.0) AS score "
            "FROM search_entry_fts WHERE search_entry_fts MATCH %s "
            # "+rowid": stop SQLite handing the list to FTS5, which would rerun the MATCH
            # once per listed row.
            + (f"AND +rowid IN ({filter_sql}) " if has_filters else "")
            + "ORDER BY score DESC, rowid LIMIT %s OFFSET %s"
        )
        expression = fts5_expression(parse_text(query.text))
        params = [expression, *(filter_params if has_filters else ()), limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [(row[0], float(row[1])) for row in cursor.fetchall()]

    def _snippets(self, text: str, ids: list[int]) -> dict[int, str]:
        """Up to two short fragments around the matches, for the page's hits only."""
        if not ids or connection.vendor not in {"postgresql", "sqlite"}:
            return {}
        placeholders = ", ".join(["%s"] * len(ids))
        if connection.vendor == "postgresql":
            options = (
                f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=30, MinWords=12, "
                'MaxFragments=2, FragmentDelimiter=" … "'
            )
            sql = (
                "SELECT id, ts_headline(%s::regconfig, summary || ' ' || left(body, 20000), "
                f"websearch_to_tsquery(%s::regconfig, %s), %s) FROM search_searchentry "
                f"WHERE id IN ({placeholders})"
            )
            params = [TS_CONFIG, TS_CONFIG, text, options, *ids]
        else:
            sql = (
                "SELECT rowid, snippet(search_entry_fts, -1, %s, %s, ' … ', 24) "
                "FROM search_entry_fts WHERE search_entry_fts MATCH %s "
                f"AND +rowid IN ({placeholders})"
            )
            params = [MARK_START, MARK_END, fts5_expression(parse_text(text)), *ids]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {pk: snippet_html(raw or "") for pk, raw in cursor.fetchall()}

    def _facet_counts_grouped(self, query: SearchQuery) -> dict[str, dict[str, int]]:
        """Counts per facet value under every filter except the facet's own (OR inside a
        facet, AND across): one GROUP BY for the unfiltered facets, one per filtered facet."""
        wanted = list(query.facets)
        counts: dict[str, dict[str, int]] = {facet: {} for facet in wanted}
        groups: list[tuple[list[str], dict[str, tuple[str, ...]]]] = []
        unfiltered = [f for f in wanted if f not in query.filters]
        if unfiltered:
            groups.append((unfiltered, query.filters))
        groups.extend(
            ([facet], query.filters_without(facet)) for facet in wanted if facet in query.filters
        )
        for facets, filters in groups:
            for facet, value, n in self._count_keys(self._matching(query, filters), facets):
                counts[facet][value] = n
        return counts

    def _facet_counts_one_pass(
        self, query: SearchQuery
    ) -> tuple[dict[str, dict[str, int]], int | None]:
        """PostgreSQL: the same counts in one pass over the rows the text (and site) match.

        Each row gets one flag per filter; a facet value the row carries is counted when every
        *other* facet's filter holds (``flag OR the value belongs to that facet``), so one scan
        and one unnest serve all facets instead of one query per filtered facet. Every document
        has exactly one type, so the number of results is the sum of the type counts that the
        type filter accepts (None when types are not among the facets: the caller counts).
        """
        wanted = list(query.facets)
        counts: dict[str, dict[str, int]] = {facet: {} for facet in wanted}
        if not wanted:
            return counts, None
        filters = list(query.filters.items())
        inner, params = self._matching(query, {}).values("facet_keys").query.sql_with_params()
        keys = [[facet_key(facet, v) for v in values] for facet, values in filters]
        flags = "".join(f", (m.facet_keys ?| %s) AS f{i}" for i in range(len(filters)))
        # Only rows that fail at most one filter count for anything: "all filters but the
        # i-th" OR'd over i, which the facet GIN index answers (no scan of every text match).
        prefilter, prefilter_params = "", []
        if filters:
            alternatives = []
            for i in range(len(filters)):
                others = [keys[j] for j in range(len(filters)) if j != i]
                prefilter_params += others
                alternatives.append(
                    " AND ".join(["m.facet_keys ?| %s"] * len(others)) if others else "TRUE"
                )
            prefilter = "WHERE " + " OR ".join(f"({a})" for a in alternatives)
        conditions = "".join(
            f" AND (r.f{i} OR split_part(k, '=', 1) = %s)" for i in range(len(filters))
        )
        marks = ", ".join(["%s"] * len(wanted))
        sql = (
            f"SELECT k, count(*) FROM (SELECT m.facet_keys{flags} FROM ({inner}) m {prefilter}) r "
            "CROSS JOIN LATERAL jsonb_array_elements_text(r.facet_keys) k "
            f"WHERE split_part(k, '=', 1) IN ({marks}){conditions} GROUP BY k"
        )
        sql_params = [*keys, *params, *prefilter_params]
        sql_params += [*wanted, *(facet for facet, _ in filters)]
        with connection.cursor() as cursor:
            cursor.execute(sql, sql_params)
            rows = cursor.fetchall()
        for key, n in rows:
            facet, _, value = key.partition("=")
            counts[facet][value] = n
        if "type" not in counts:
            return counts, None
        accepted = set(query.filters.get("type", ())) or set(counts["type"])
        return counts, sum(n for value, n in counts["type"].items() if value in accepted)

    def _facet_values(
        self, query: SearchQuery, counts: dict[str, dict[str, int]]
    ) -> dict[str, list[FacetValue]]:
        result: dict[str, list[FacetValue]] = {}
        for facet in query.facets:
            selected = set(query.filters.get(facet, ()))
            values = [
                FacetValue(value=v, count=n, label=v, selected=v in selected)
                for v, n in counts.get(facet, {}).items()
            ]
            # A ticked value with no results still shows, so it can be unticked.
            values.extend(
                FacetValue(value=v, count=0, label=v, selected=True)
                for v in selected - set(counts.get(facet, {}))
            )
            values.sort(key=lambda fv: (-fv.count, fv.value))
            result[facet] = values
        return result

    @staticmethod
    def _count_keys(
        matching: QuerySet[SearchEntry], facets: list[str]
    ) -> list[tuple[str, str, int]]:
        """(facet, value, documents) for ``facets`` over ``matching``, in one pass that
        unnests each matching row's ``facet_keys`` (no join, one query for many facets)."""
        inner, params = matching.values("facet_keys").query.sql_with_params()
        marks = ", ".join(["%s"] * len(facets))
        if connection.vendor == "postgresql":
            sql = (
                f"SELECT k, count(*) FROM ({inner}) m "
                "CROSS JOIN LATERAL jsonb_array_elements_text(m.facet_keys) k "
                f"WHERE split_part(k, '=', 1) IN ({marks}) GROUP BY k"
            )
        else:
            sql = (
                f"SELECT j.value, count(*) FROM ({inner}) m, json_each(m.facet_keys) j "
                f"WHERE substr(j.value, 1, instr(j.value, '=') - 1) IN ({marks}) "
                "GROUP BY j.value"
            )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *facets])
            rows = cursor.fetchall()
        result = []
        for key, n in rows:
            facet, _, value = key.partition("=")
            result.append((facet, value, n))
        return result

    def did_you_mean(self, query: SearchQuery) -> str:
        """A close spelling of the query's unknown words that would find something, or ""."""
        words = words_of(query.text)
        if not words:
            return ""
        known = set(SearchTerm.objects.filter(term__in=words).values_list("term", flat=True))
        changed = False
        suggestion = []
        for word in words:
            if word in known or len(word) < MIN_TERM_LENGTH or not word.isalpha():
                suggestion.append(word)
                continue
            candidates = list(
                SearchTerm.objects.filter(term__startswith=word[0]).values_list("term", flat=True)
            )
            close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
            if close:
                suggestion.append(close[0])
                changed = True
            else:
                suggestion.append(word)
        if not changed:
            return ""
        text = " ".join(suggestion)
        # Offer it only if it finds something under the same filters.
        return text if self._matching(query.with_text(text), query.filters).exists() else ""

    def suggest(self, prefix: str, *, limit: int = 8) -> list[dict[str, str]]:
        """Titles with a word starting with ``prefix`` (type-ahead); titles that start with it
        come first."""
        prefix = prefix.strip()
        if len(prefix) < 2:
            return []
        rows = (
            SearchEntry.objects.filter(
                Q(title__istartswith=prefix) | Q(title__icontains=f" {prefix}")
            )
            .annotate(
                starts=Case(
                    When(title__istartswith=prefix, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("starts", "title")
            .values("title", "url", "doc_type")[:limit]
        )
        return [{"value": r["title"], "url": r["url"], "type": r["doc_type"]} for r in rows]


def _boolean():
    from django.db.models import BooleanField

    return BooleanField()
