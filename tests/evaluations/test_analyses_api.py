"""The analyses API: list and detail for what the caller may see, create-and-queue, OpenAPI."""

from __future__ import annotations

import pytest
from django.test import Client

from evaluations.analyses.services import analysis_create, analysis_publish, analysis_run
from evaluations.models import Analysis
from evaluations.services import observations_publish
from portal.api_auth import api_token_create
from tests.evaluations.analyses_backend_helpers import INTERVENTION, upload_standard

pytestmark = pytest.mark.django_db


def create(user, site, **fields):
    values = {
        "design": "did",
        "metric": "nonfatal_shootings",
        "treatment_area": "Zone 3",
        "comparison_areas": ["Zone 1", "Zone 2"],
        "intervention_date": INTERVENTION,
    } | fields
    return analysis_create(user=user, site=site, **values)


def bearer(user) -> dict:
    _, plaintext = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


@pytest.fixture
def analyses(site_a, site_b, bja_user):
    upload_standard(site_a)
    upload_standard(site_b, seed=9)
    published = create(bja_user, site_a, title="Published A")
    analysis_run(analysis=published)
    observations_publish(site=site_a, user=bja_user)
    analysis_publish(user=bja_user, analysis=published)
    draft = create(bja_user, site_b, title="Draft B")
    return published, draft


def test_anonymous_sees_published_only(analyses):
    published, draft = analyses
    client = Client()
    listing = client.get("/api/v1/analyses/")
    assert listing.status_code == 200
    assert [a["id"] for a in listing.json()["items"]] == [published.pk]
    detail = client.get(f"/api/v1/analyses/{published.pk}/").json()
    assert detail["site"] == "site-a" and detail["design"] == "did"
    assert detail["result_status"] == "succeeded" and len(detail["input_hash"]) == 64
    stored = published.current_result.result
    assert detail["result"]["estimate"] == stored["estimate"]
    assert detail["result"]["ci_low"] == stored["ci_low"]
    assert client.get(f"/api/v1/analyses/{draft.pk}/").status_code == 404


def test_contributor_sees_own_drafts(analyses, contributor_b):
    published, draft = analyses
    response = Client().get("/api/v1/analyses/", **bearer(contributor_b))
    assert {a["id"] for a in response.json()["items"]} == {published.pk, draft.pk}
    detail = Client().get(f"/api/v1/analyses/{draft.pk}/", **bearer(contributor_b)).json()
    assert detail["status"] == "draft" and detail["result"] is None


def payload(**fields) -> dict:
    return {
        "site": "site-a",
        "design": "its_with_comparison",
        "metric": "nonfatal_shootings",
        "treatment_area": "Zone 3",
        "comparison_areas": ["Zone 1"],
        "intervention_date": "2022-01-01",
        "options": {"errors": "independent", "hac_lags": 2},
    } | fields


def test_post_creates_and_queues(analyses, research_user):
    response = Client().post(
        "/api/v1/analyses/", payload(), content_type="application/json", **bearer(research_user)
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] in ("queued", "succeeded")
    analysis = Analysis.objects.get(pk=body["id"])
    assert analysis.created_by == research_user and analysis.options == {
        "errors": "independent",
        "hac_lags": 2,
    }


def test_post_runs_the_queued_task(analyses, research_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/v1/analyses/", payload(), content_type="application/json", **bearer(research_user)
        )
    analysis = Analysis.objects.get(pk=response.json()["id"])
    assert analysis.status == "succeeded" and analysis.current_result.result["estimate"] > 0


def test_post_statuses(analyses, contributor_b):
    client = Client()
    assert (
        client.post("/api/v1/analyses/", payload(), content_type="application/json").status_code
        == 401
    )
    forbidden = client.post(
        "/api/v1/analyses/", payload(), content_type="application/json", **bearer(contributor_b)
    )
    assert forbidden.status_code == 403
    bad = client.post(
        "/api/v1/analyses/",
        payload(site="site-b", treatment_area="Nowhere"),
        content_type="application/json",
        **bearer(contributor_b),
    )
    assert bad.status_code == 400 and "Nowhere" in bad.json()["detail"]
    missing = client.post(
        "/api/v1/analyses/",
        payload(site="no-such-site"),
        content_type="application/json",
        **bearer(contributor_b),
    )
    assert missing.status_code == 404


def test_openapi_lists_the_endpoints(db):
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/analyses/"])
    assert "get" in paths["/api/v1/analyses/{analysis_id}/"]


def test_post_refuses_a_comparison_area_with_missing_months_with_400_not_500(
    analyses, site_a, research_user
):
    """The data checks behind an analysis (a comparison area lacking months, a mixed series)
    raise the statistics library's errors; the API answers them with 400 and the message."""
    from tests.evaluations.analyses_backend_helpers import counts, series_rows, upload_rows

    values = counts(20, seed=9)
    rows = series_rows("nonfatal_shootings", "Gap zone", "comparison", values)
    del rows[26:28]  # 2022-03 and 2022-04 missing
    upload_rows(site_a, rows, name="gap.csv")
    response = Client().post(
        "/api/v1/analyses/",
        payload(comparison_areas=["Zone 1", "Gap zone"], options={}),
        content_type="application/json",
        **bearer(research_user),
    )
    assert response.status_code == 400, response.content
    assert "Gap zone" in response.json()["detail"]
    assert "2022-03" in response.json()["detail"]


def test_post_refuses_hac_lags_with_the_ar1_default(analyses, research_user):
    """Newey-West lags with the AR(1) error model used to be accepted and silently ignored."""
    response = Client().post(
        "/api/v1/analyses/",
        payload(options={"hac_lags": 2}),
        content_type="application/json",
        **bearer(research_user),
    )
    assert response.status_code == 400, response.content
    assert "hac_lags" in response.json()["detail"]
    assert "independent" in response.json()["detail"]


def _weekly_zone(site_a) -> None:
    import datetime as dt

    from tests.evaluations.analyses_backend_helpers import upload_rows

    monday = dt.date(2024, 1, 1)
    rows = [
        f"nonfatal_shootings,Weekly zone,treatment,{monday + dt.timedelta(weeks=i)},"
        f"{monday + dt.timedelta(weeks=i, days=6)},{10 + (i * 7) % 5},,,,"
        for i in range(40)
    ]
    upload_rows(site_a, rows, name="weekly.csv")


def test_weekly_intervention_keeps_its_week_instead_of_the_week_of_the_first(
    analyses, site_a, research_user, django_capture_on_commit_callbacks
):
    """Weekly series are keyed by their Monday; the intervention date used to be cut to the
    1st of its month, moving the start to an earlier week (n_pre one short here)."""
    import datetime as dt

    _weekly_zone(site_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/v1/analyses/",
            payload(
                design="its",
                treatment_area="Weekly zone",
                comparison_areas=[],
                intervention_date="2024-05-06",  # the Monday of the week of 6 May
                options={},
            ),
            content_type="application/json",
            **bearer(research_user),
        )
    assert response.status_code == 201, response.content
    analysis = Analysis.objects.get(pk=response.json()["id"])
    assert analysis.intervention_date == dt.date(2024, 5, 6)
    result = analysis.current_result.result
    assert result["intervention"] == "2024-05-06/2024-05-12"
    assert result["n_pre"] == 18


@pytest.mark.parametrize(
    ("area", "date", "word", "starts"),
    [
        ("Weekly zone", "2024-05-08", "week", "2024-05-06 or 2024-05-13"),  # a Wednesday
        ("Zone 3", "2022-01-15", "month", "2022-01-01 or 2022-02-01"),
        ("Quarterly zone", "2022-05-01", "quarter", "2022-04-01 or 2022-07-01"),
    ],
)
def test_post_refuses_an_intervention_date_inside_a_period(
    analyses, site_a, research_user, area, date, word, starts
):
    """The form offers only period starts; the API used to move a mid-week, mid-month or
    mid-quarter date silently to the start of its period. It now refuses, naming the field,
    the period and the starts to use instead."""
    from tests.evaluations.analyses_backend_helpers import upload_rows

    _weekly_zone(site_a)
    quarters = [("01-01", "03-31"), ("04-01", "06-30"), ("07-01", "09-30"), ("10-01", "12-31")]
    upload_rows(
        site_a,
        [
            f"nonfatal_shootings,Quarterly zone,treatment,{year}-{a},{year}-{b},{30 + q},,,,"
            for year in (2020, 2021, 2022, 2023)
            for q, (a, b) in enumerate(quarters)
        ],
        name="quarterly.csv",
    )
    before = Analysis.objects.count()
    response = Client().post(
        "/api/v1/analyses/",
        payload(
            design="pre_post",
            treatment_area=area,
            comparison_areas=[],
            intervention_date=date,
            options={},
        ),
        content_type="application/json",
        **bearer(research_user),
    )
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert detail.startswith(f"intervention_date {date} is not the first day of a {word}")
    assert area in detail and starts in detail
    assert Analysis.objects.count() == before


def test_post_refuses_options_that_cannot_apply_at_creation(analyses, research_user):
    """Clustered errors with a handful of areas and an exact interval outside pre/post used to
    be accepted and only fail (or be ignored) when the analysis ran."""
    client = Client()
    cluster = client.post(
        "/api/v1/analyses/",
        payload(design="did", comparison_areas=["Zone 1", "Zone 2"], options={"cov": "cluster"}),
        content_type="application/json",
        **bearer(research_user),
    )
    assert cluster.status_code == 400, cluster.content
    assert "at least 5 treated areas" in cluster.json()["detail"]
    exact = client.post(
        "/api/v1/analyses/",
        payload(design="its", comparison_areas=[], options={"errors": "exact"}),
        content_type="application/json",
        **bearer(research_user),
    )
    assert exact.status_code == 400, exact.content
    assert "pre/post" in exact.json()["detail"]


@pytest.mark.parametrize("value", [["month"], {"a": 1}])
def test_post_option_of_the_wrong_type_is_a_400_not_a_server_error(analyses, research_user, value):
    response = Client().post(
        "/api/v1/analyses/",
        payload(options={"seasonality": value}),
        content_type="application/json",
        **bearer(research_user),
    )
    assert response.status_code == 400, response.content
    assert "seasonality" in response.json()["detail"]


@pytest.mark.parametrize(
    ("design", "options", "named"),
    [
        ("did", {"seasonality": "month"}, "seasonality"),
        ("did", {"impact": "slope"}, "impact"),
        ("did", {"errors": "independent"}, "errors"),
        ("did", {"harmonics": 3}, "harmonics"),
        ("its", {"cov": "HC1"}, "cov"),
        ("its_with_comparison", {"cov": "classical"}, "cov"),
        ("pre_post", {"impact": "level"}, "impact"),
        ("pre_post", {"errors": "independent", "hac_lags": 2}, "hac_lags"),
        ("its", {"seasonality": "month", "harmonics": 3}, "harmonics"),
    ],
)
def test_post_refuses_options_the_design_would_ignore(
    analyses, research_user, design, options, named
):
    """An option the design does not use is refused (naming it) rather than stored and
    silently ignored, so a user never reads a result as if their choice had been applied."""
    response = Client().post(
        "/api/v1/analyses/",
        payload(design=design, options=options),
        content_type="application/json",
        **bearer(research_user),
    )
    assert response.status_code == 400, response.content
    assert named in response.json()["detail"]


def test_post_accepts_default_values_of_options_other_designs_use(analyses, research_user):
    """The admin form sends every option at its default; defaults are never refused."""
    defaults = {"cov": "ar1", "errors": "ar1", "impact": "level_and_slope", "seasonality": "auto"}
    for design in ("did", "its", "pre_post"):
        response = Client().post(
            "/api/v1/analyses/",
            payload(design=design, options=defaults),
            content_type="application/json",
            **bearer(research_user),
        )
        assert response.status_code == 201, (design, response.content)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        (
            {
                "design": "pre_post",
                "metric": "days_violation_to_hearing",
                "comparison_areas": [],
                "options": {"errors": "exact"},
            },
            "applies to counts only",
        ),
        (
            {"design": "did", "comparison_areas": ["Zone 1", "Zone 2", "Zone 2"], "options": {}},
            "Zone 2 is listed more than once",
        ),
        (
            {
                "design": "its",
                "comparison_areas": [],
                "pre_start": "2021-10-01",
                "post_end": "2022-03-31",
                "options": {},
            },
            "needs at least 7 periods in all",
        ),
        (
            {
                "design": "pre_post",
                "comparison_areas": [],
                "pre_start": "2021-11-01",
                "post_end": "2022-02-28",
                "options": {},
            },
            "needs at least 6 periods in all",
        ),
        (
            {
                "design": "its",
                "metric": "days_violation_to_hearing",
                "comparison_areas": [],
                "pre_start": "2021-10-01",
                "post_end": "2022-03-31",
                "options": {"errors": "independent", "hac_lags": 24},
            },
            "hac_lags must be less than the number of periods in the window (6); got 24",
        ),
    ],
)
def test_post_refuses_on_save_what_could_only_fail_when_it_ran(
    analyses, research_user, fields, words
):
    """Each of these used to be saved and queued, then fail in the worker."""
    before = Analysis.objects.count()
    response = Client().post(
        "/api/v1/analyses/",
        payload(**fields),
        content_type="application/json",
        **bearer(research_user),
    )
    assert response.status_code == 400, response.content
    assert words in response.json()["detail"]
    assert Analysis.objects.count() == before


def test_the_same_short_window_is_accepted_with_independent_errors(analyses, research_user):
    response = Client().post(
        "/api/v1/analyses/",
        payload(
            design="its",
            comparison_areas=[],
            pre_start="2021-10-01",
            post_end="2022-03-31",
            options={"errors": "independent"},
        ),
        content_type="application/json",
        **bearer(research_user),
    )
    assert response.status_code == 201, response.content


def test_detail_gives_the_estimate_the_finding_quotes(
    analyses, research_user, django_capture_on_commit_callbacks
):
    """A comparative ITS's top-level estimate is the treatment area's own level change; the
    finding quotes the treatment-minus-comparison change. ``headline`` is the latter."""
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/v1/analyses/",
            payload(options={}),
            content_type="application/json",
            **bearer(research_user),
        )
    assert response.status_code == 201, response.content
    detail = Client().get(f"/api/v1/analyses/{response.json()['id']}/", **bearer(research_user))
    body = detail.json()
    difference = body["result"]["level_change_difference"]
    assert body["headline"]["estimate"] == difference["estimate"]
    assert body["headline"]["p_value"] == difference["p_value"]
    assert body["headline"]["estimate"] != body["result"]["estimate"]
    assert body["direction"] in {"improved", "worsened", "no_clear_change", "approximate"}


def _gap_zone(site_a) -> None:
    from tests.evaluations.analyses_backend_helpers import counts, series_rows, upload_rows

    rows = series_rows("nonfatal_shootings", "Gap zone", "treatment", counts(20, seed=9))
    del rows[26:28]  # 2022-03 and 2022-04 missing
    upload_rows(site_a, rows, name="gap.csv")


def test_its_on_a_series_with_a_gap_is_refused_on_save(analyses, site_a, research_user):
    """Used to be saved and queued, then fail in the worker."""
    _gap_zone(site_a)
    before = Analysis.objects.count()
    response = Client().post(
        "/api/v1/analyses/",
        payload(design="its", treatment_area="Gap zone", comparison_areas=[], options={}),
        content_type="application/json",
        **bearer(research_user),
    )
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert "Gap zone has no data for 2022-03, 2022-04" in detail
    assert "every period" in detail
    assert Analysis.objects.count() == before


def test_pre_post_over_a_gap_runs_with_a_caveat_naming_it(
    analyses, site_a, research_user, django_capture_on_commit_callbacks
):
    _gap_zone(site_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/api/v1/analyses/",
            payload(design="pre_post", treatment_area="Gap zone", comparison_areas=[], options={}),
            content_type="application/json",
            **bearer(research_user),
        )
    assert response.status_code == 201, response.content
    result = Analysis.objects.get(pk=response.json()["id"]).current_result.result
    assert any(
        "Gap zone has no data for 2022-03, 2022-04" in w and "neighbours" in w
        for w in result["warnings"]
    )


def test_null_options_mean_the_defaults(analyses, research_user):
    """``null`` used to store seasonality "none" but refuse a null errors or impact."""
    response = Client().post(
        "/api/v1/analyses/",
        payload(
            design="its",
            comparison_areas=[],
            options={"seasonality": None, "errors": None, "impact": None, "harmonics": None},
        ),
        content_type="application/json",
        **bearer(research_user),
    )
    assert response.status_code == 201, response.content
    assert Analysis.objects.get(pk=response.json()["id"]).options == {}


def test_null_options_object_means_all_defaults(analyses, research_user):
    """``"options": null`` used to get pydantic's raw 'Input should be a valid dictionary'."""
    response = Client().post(
        "/api/v1/analyses/",
        payload(design="its", comparison_areas=[], options=None),
        content_type="application/json",
        **bearer(research_user),
    )
    assert response.status_code == 201, response.content
    assert Analysis.objects.get(pk=response.json()["id"]).options == {}
