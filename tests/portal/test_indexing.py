"""The search-source registry in the base app: each app registers its own source, and the
search app plugs in the scheduler that turns change signals into indexing tasks."""

from __future__ import annotations

import pytest

from evaluations.analyses.search_source import AnalysisSource
from portal import indexing
from portal.search_source import GranteeSiteSource
from strategies.search_source import DocumentSource, StrategySource


def test_each_app_registered_its_own_source():
    owners = {s.doc_type: type(s) for s in indexing.all_sources()}
    assert owners == {
        "site": GranteeSiteSource,
        "strategy": StrategySource,
        "document": DocumentSource,
        "analysis": AnalysisSource,
    }


def test_registering_a_doc_type_twice_keeps_the_first():
    first = indexing.get_source("site")
    assert indexing.register_source(GranteeSiteSource()) is first


def test_unknown_doc_type_is_a_lookup_error():
    with pytest.raises(LookupError, match="no_such_kind"):
        indexing.get_source("no_such_kind")


@pytest.mark.django_db
def test_changes_reach_the_scheduler_the_search_app_registered(
    monkeypatch, django_capture_on_commit_callbacks
):
    seen: list[tuple[str, str, str]] = []
    monkeypatch.setattr(
        indexing,
        "_SCHEDULERS",
        {
            "update": lambda doc_type, pk: seen.append(("update", doc_type, pk)),
            "delete": lambda doc_type, pk: seen.append(("delete", doc_type, pk)),
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        indexing.schedule_update("site", 7)
        indexing.schedule_delete("strategy", 8)
        assert seen == []  # nothing before the transaction commits
    assert seen == [("update", "site", "7"), ("delete", "strategy", "8")]


@pytest.mark.django_db
def test_without_a_scheduler_changes_are_not_indexed(
    monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(indexing, "_SCHEDULERS", {})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        indexing.schedule_update("site", 7)
    assert callbacks == []
