"""PostgreSQL counts every facet in one pass; it must agree with one GROUP BY per facet (the
plain way, still used on SQLite) on totals and counts, whatever the filters."""

from __future__ import annotations

import random

import pytest
from django.db import connection

from bench.search_bench import FACET_CHOICES, synthetic_documents
from search.backends.base import SearchQuery
from search.backends.database import SearchBackend

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-pass count is PostgreSQL's")
def test_one_pass_facet_counts_match_a_group_by_per_facet():
    backend = SearchBackend()
    backend.rebuild(list(synthetic_documents(400, seed=5)))
    rng = random.Random(3)
    for _ in range(40):
        facets = rng.sample(sorted(FACET_CHOICES), rng.randint(0, 3))
        filters = {f: tuple(rng.sample(FACET_CHOICES[f], rng.randint(1, 3))) for f in facets}
        text = rng.choice(["", "witness", "gun violence", '"repeat offender"'])
        query = SearchQuery(text=text, filters=filters, site=rng.choice(["", "site-7"]))
        counts, total = backend._facet_counts_one_pass(query)
        assert counts == backend._facet_counts_grouped(query), query
        assert total == backend._matching(query, query.filters).count(), query
        assert backend.search(query).total == total
