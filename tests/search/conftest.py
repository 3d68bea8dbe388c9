"""Fixtures for the search tests: backends under test and a small, varied document set."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest

from search.backends import get_search_backend
from search.backends.base import SearchDocument

UTC = dt.UTC


def _when(year: int, month: int = 1) -> dt.datetime:
    return dt.datetime(year, month, 15, 12, 0, tzinfo=UTC)


def fixture_documents() -> list[SearchDocument]:
    """Eight documents across types, states, kinds and designs (facts in the test names)."""
    return [
        SearchDocument(
            doc_type="strategy",
            object_id="1",
            title="Witness intimidation response unit",
            url="/strategies/witness-unit/",
            summary="A unit that charges witness intimidation and protects victims.",
            body="Prosecutors file forfeiture-by-wrongdoing motions and track dismissals.",
            strategy_types=["witness-intimidation"],
            state="MD",
            region="South",
            jurisdiction="Bayridge County, MD",
            jurisdiction_kind="county",
            evidence_ratings=["promising"],
            year=2021,
            site="bayridge",
            site_name="Bayridge County State's Attorney",
            published_at=_when(2023, 1),
        ),
        SearchDocument(
            doc_type="strategy",
            object_id="2",
            title="GunStat weekly shooting review",
            url="/strategies/gunstat/",
            summary="Prosecutors, police and analysts review every shooting each week.",
            body="Cases are followed to disposition. One witness said the meetings helped.",
            strategy_types=["gunstat"],
            state="MO",
            region="Midwest",
            jurisdiction="Harlow County, MO",
            jurisdiction_kind="county",
            evidence_ratings=["effective"],
            metrics=["nonfatal_shootings"],
            year=2020,
            site="harlow",
            site_name="Harlow County Prosecuting Attorney",
            published_at=_when(2022, 6),
        ),
        SearchDocument(
            doc_type="strategy",
            object_id="3",
            title="Zone prosecution downtown",
            url="/strategies/zones/",
            summary="Assistant prosecutors assigned to police districts.",
            body="The intimidation of a witness in the zone led to relocation support. "
            "Relocation budgets were shared with the police.",
            strategy_types=["zone-prosecution", "gunstat"],
            state="VA",
            region="South",
            jurisdiction="Port Meridian, VA",
            jurisdiction_kind="city",
            evidence_ratings=["inconclusive"],
            year=2022,
            site="port-meridian",
            site_name="Port Meridian Commonwealth's Attorney",
            published_at=_when(2024, 2),
        ),
        SearchDocument(
            doc_type="analysis",
            object_id="10",
            title="Non-fatal shootings after GunStat",
            url="/evaluations/results/10/",
            summary="Difference-in-differences against comparison districts.",
            body="Monthly counts of non-fatal shootings, 24 months before and after.",
            finding="Non-fatal shootings fell 28% relative to comparison districts.",
            state="MO",
            region="Midwest",
            jurisdiction="Harlow County, MO",
            jurisdiction_kind="county",
            metrics=["nonfatal_shootings"],
            design="did",
            direction="improved",
            effect_size=-0.28,
            year=2023,
            site="harlow",
            published_at=_when(2023, 9),
        ),
        SearchDocument(
            doc_type="analysis",
            object_id="11",
            title="Shots fired calls in Lakemont",
            url="/evaluations/results/11/",
            summary="Interrupted time series with a comparison series.",
            body="Shots-fired calls did not change clearly. Juvenile cases were excluded.",
            finding="Shots-fired calls showed no clear change.",
            state="OH",
            region="Midwest",
            jurisdiction="Lakemont, OH",
            jurisdiction_kind="city",
            metrics=["shots_fired_calls"],
            design="its_with_comparison",
            direction="no_clear_change",
            effect_size=0.05,
            year=2024,
            site="lakemont",
            published_at=_when(2024, 5),
        ),
        SearchDocument(
            doc_type="analysis",
            object_id="12",
            title="Case processing time before and after",
            url="/evaluations/results/12/",
            summary="Before/after comparison of days from filing to disposition.",
            body="Median days rose. <script>alert('x')</script> appears in a pasted note.",
            finding="Days to disposition rose by 40%.",
            state="GA",
            region="South",
            jurisdiction="Ashford County, GA",
            jurisdiction_kind="county",
            metrics=["days_to_disposition"],
            design="pre_post",
            direction="worsened",
            effect_size=0.40,
            year=2022,
            site="ashford",
            published_at=_when(2021, 3),
        ),
        SearchDocument(
            doc_type="site",
            object_id="100",
            title="Harlow County Prosecuting Attorney",
            url="/search/?site=harlow",
            summary="County prosecutor's office serving Harlow County, MO.",
            state="MO",
            region="Midwest",
            jurisdiction="Harlow County, MO",
            jurisdiction_kind="county",
            year=2019,
            site="harlow",
        ),
        SearchDocument(
            doc_type="document",
            object_id="200",
            title="Relocation MOU with the housing authority",
            url="/documents/200/mou.pdf",
            summary="Template memorandum of understanding.",
            body="The housing authority agrees to emergency moves for threatened witnesses.",
            strategy_types=["witness-intimidation"],
            state="MD",
            region="South",
            jurisdiction="Bayridge County, MD",
            jurisdiction_kind="county",
            year=2021,
            site="bayridge",
            published_at=_when(2023, 2),
        ),
    ]


def _elasticsearch_backend():
    from search.backends.elasticsearch import SearchBackend

    return SearchBackend(
        url=os.environ["ELASTICSEARCH_URL"],
        prefix=f"test-{uuid.uuid4().hex[:8]}",
        refresh="wait_for",
    )


BACKEND_PARAMS = [
    pytest.param("database", id="database"),
    pytest.param(
        "elasticsearch",
        id="elasticsearch",
        marks=pytest.mark.skipif(
            not os.environ.get("ELASTICSEARCH_URL"), reason="ELASTICSEARCH_URL is not set"
        ),
    ),
]


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request, db):
    if request.param == "database":
        from search.backends.database import SearchBackend

        engine = SearchBackend()
        yield engine
        return
    engine = _elasticsearch_backend()
    yield engine
    for name in engine._current_indices():
        engine.client.indices.delete(index=name, ignore_unavailable=True)


@pytest.fixture
def indexed(backend):
    backend.rebuild(fixture_documents())
    return backend


@pytest.fixture
def fresh_backend_cache():
    """Make ``get_search_backend`` re-read settings before and after the test."""
    get_search_backend.cache_clear()
    yield
    get_search_backend.cache_clear()
