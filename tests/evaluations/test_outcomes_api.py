"""The outcome-data API: upload statuses 200/400/403 with the JSON report, reads, schema."""

from __future__ import annotations

import io
import json

import pytest

from evaluations.models import OutcomeObservation
from portal.api_auth import api_token_create
from tests.evaluations.helpers import FIXTURES, csv_bytes, month_rows

pytestmark = pytest.mark.django_db


def bearer(user):
    _, plaintext = api_token_create(user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}


def post_csv(client, slug, data, headers, query=""):
    return client.post(
        f"/api/v1/sites/{slug}/outcomes/{query}", data=data, content_type="text/csv", **headers
    )


def test_upload_csv_200_and_report(client, site_a, contributor_a):
    response = post_csv(
        client, "site-a", (FIXTURES / "outcomes_clean.csv").read_bytes(), bearer(contributor_a)
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] and body["written"] and body["counts"]["new"] == 28
    assert body["batch_id"]
    assert OutcomeObservation.objects.count() == 28


def test_dry_run_200_writes_nothing(client, site_a, contributor_a):
    response = post_csv(
        client, "site-a", (FIXTURES / "outcomes_clean.csv").read_bytes(), bearer(contributor_a),
        "?dry_run=1",
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json()["dry_run"] is True and response.json()["written"] is False
    assert OutcomeObservation.objects.count() == 0


def test_errors_400_with_row_column_value_message_fix(client, site_a, contributor_a):
    data = csv_bytes("homicides,A,treatment,2023-01-01,2023-01-31,-4,,,,")
    response = post_csv(client, "site-a", data, bearer(contributor_a))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error == {
        "row": 2,
        "column": "value",
        "value": "-4",
        "message": "A count cannot be negative.",
        "fix": error["fix"],
        "level": "error",
    }
    assert error["fix"]
    assert OutcomeObservation.objects.count() == 0


def test_other_site_403(client, site_a, site_b, contributor_a, research_user):
    data = (FIXTURES / "outcomes_clean.csv").read_bytes()
    assert post_csv(client, "site-b", data, bearer(contributor_a)).status_code == 403
    assert post_csv(client, "site-a", data, bearer(research_user)).status_code == 403
    assert OutcomeObservation.objects.count() == 0


def test_no_or_revoked_token_401(client, site_a, contributor_a):
    from portal.api_auth import api_token_revoke

    data = (FIXTURES / "outcomes_clean.csv").read_bytes()
    assert post_csv(client, "site-a", data, {}).status_code == 401
    token, plaintext = api_token_create(user=contributor_a, name="x")
    api_token_revoke(token=token, by=contributor_a)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    assert post_csv(client, "site-a", data, headers).status_code == 401


def test_json_rows_and_multipart_file(client, site_a, contributor_a):
    rows = [
        {"metric": "homicides", "area": "A", "group": "treatment", "period_start": "2023-01-01",
         "period_end": "2023-01-31", "value": 2},
    ]  # fmt: skip
    response = client.post(
        "/api/v1/sites/site-a/outcomes/", data=json.dumps({"rows": rows}),
        content_type="application/json", **bearer(contributor_a),
    )  # fmt: skip
    assert response.status_code == 200, response.content
    with (FIXTURES / "outcomes_clean.csv").open("rb") as handle:
        response = client.post(
            "/api/v1/sites/site-a/outcomes/", data={"file": handle}, **bearer(contributor_a)
        )
    assert response.status_code == 200
    assert OutcomeObservation.objects.count() == 29


def test_session_auth_works_for_browser_use(client, site_a, contributor_a):
    client.force_login(contributor_a)
    response = post_csv(client, "site-a", (FIXTURES / "outcomes_clean.csv").read_bytes(), {})
    assert response.status_code == 200


def test_get_outcomes_filters_and_visibility(client, site_a, site_b, contributor_a, bja_user):
    from tests.evaluations.helpers import upload

    upload(site_a, csv_bytes(*month_rows("homicides", "A", "treatment", [1, 2, 3])), bja_user)
    upload(site_b, csv_bytes(*month_rows("homicides", "B", "comparison", [4, 5])), bja_user)
    mine = client.get("/api/v1/outcomes/", **bearer(contributor_a)).json()
    assert {item["site"] for item in mine["items"]} == {"site-a"}
    everything = client.get("/api/v1/outcomes/", **bearer(bja_user)).json()
    assert everything["count"] == 5
    filtered = client.get(
        "/api/v1/outcomes/?site=site-a&metric=homicides&group=treatment&from=2023-02-01&to=2023-02-28",
        **bearer(bja_user),
    ).json()
    assert [(i["period_start"], i["value"]) for i in filtered["items"]] == [("2023-02-01", 2.0)]
    assert client.get("/api/v1/outcomes/").status_code == 401


def test_openapi_schema_lists_endpoints(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "post" in schema["paths"]["/api/v1/sites/{slug}/outcomes/"]
    assert "get" in schema["paths"]["/api/v1/outcomes/"]
    params = {p["name"] for p in schema["paths"]["/api/v1/outcomes/"]["get"]["parameters"]}
    assert {"site", "metric", "group", "from", "to"} <= params


def test_csv_sent_as_json_is_read_by_its_content(client, site_a, contributor_a):
    data = csv_bytes(*month_rows("homicides", "A", "treatment", [1, 2]))
    response = client.post(
        "/api/v1/sites/site-a/outcomes/",
        data=data,
        content_type="application/json",
        **bearer(contributor_a),
    )
    assert response.status_code == 200, response.content
    assert response.json()["counts"]["new"] == 2


def test_multipart_without_a_file_part_is_400(client, site_a, contributor_a):
    response = client.post(
        "/api/v1/sites/site-a/outcomes/", {"note": "forgot the file"}, **bearer(contributor_a)
    )
    assert response.status_code == 400
    assert 'no file part named "file"' in response.json()["detail"]


def test_body_over_the_limit_is_413_before_reading(client, site_a, contributor_a, settings):
    settings.PORTAL_UPLOAD_MAX_BYTES = 1000
    data = csv_bytes(*month_rows("homicides", "A", "treatment", [1] * 12) * 3)
    assert len(data) > 1000
    for kwargs in (
        {"data": data, "content_type": "text/csv"},
        {"data": {"file": io.BytesIO(data)}},
    ):
        response = client.post("/api/v1/sites/site-a/outcomes/", **kwargs, **bearer(contributor_a))
        assert response.status_code == 413, response.content
        assert "limit" in response.json()["detail"]
    assert OutcomeObservation.objects.count() == 0


def test_malformed_and_hostile_json_bodies_are_400_with_a_reason(client, site_a, contributor_a):
    bodies = {
        b"[{": "not valid JSON",
        b"[" * 100_000 + b"]" * 100_000: "nested",
        (
            b'[{"metric": "homicides", "area": "A", "group": "treatment", "period_start": '
            b'"2024-01-01", "period_end": "2024-01-31", "value": ' + b"7" * 5000 + b"}]"
        ): "too long for a number",
        b'{"rows": 5}': "not a list of row objects",
        b"": "empty",
    }
    for body, words in bodies.items():
        response = client.post(
            "/api/v1/sites/site-a/outcomes/",
            data=body,
            content_type="application/json",
            **bearer(contributor_a),
        )
        assert response.status_code == 400, (body[:40], response.content[:300])
        assert words in response.content.decode(), (words, response.content[:500])
