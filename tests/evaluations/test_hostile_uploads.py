"""Every file of the hostile corpus through all three ways in: the admin form, the
``import_outcomes`` command and the API. Each gets a correct import or a message with the
expected words; never a 500, a traceback, a half-written import or a batch left running."""

from __future__ import annotations

import io
import logging
import time
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from evaluations.models import OutcomeObservation, UploadBatch
from portal.api_auth import api_token_create
from tests.evaluations.hostile_corpus import CASES, Case

pytestmark = pytest.mark.django_db

CONTENT_TYPES = {
    ".csv": "text/csv",
    ".json": "application/json",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def admin_way(client, site, user, name: str, data: bytes) -> str:
    client.force_login(user)
    response = client.post(
        reverse("evaluations_admin:upload"),
        {"site": site.pk, "file": SimpleUploadedFile(name, data)},
    )
    if response.status_code == 400:  # the form itself refused the file (e.g. empty)
        return response.content.decode()
    assert response.status_code == 302, response.content[:500]
    batch = UploadBatch.objects.latest("pk")
    if batch.status == UploadBatch.Status.VALIDATED:
        response = client.post(reverse("evaluations_admin:batch_confirm", args=[batch.pk]))
        assert response.status_code == 302
    page = client.get(reverse("evaluations_admin:batch", args=[batch.pk]))
    assert page.status_code == 200
    return page.content.decode()


def command_way(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_outcomes", str(path), "--site", "site-a", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    text = out.getvalue() + err.getvalue()
    assert code in (0, 1), text
    return text


def api_way(client, user, name: str, data: bytes) -> str:
    _, token = api_token_create(user=user, name="corpus")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    suffix = name[name.rfind(".") :]
    url = "/api/v1/sites/site-a/outcomes/"
    if suffix in CONTENT_TYPES:
        response = client.post(url, data=data, content_type=CONTENT_TYPES[suffix], **headers)
    else:
        response = client.post(url, {"file": SimpleUploadedFile(name, data)}, **headers)
    assert response.status_code in (200, 400), response.content[:500]
    return response.content.decode("unicode_escape")


def unescape(text: str) -> str:
    import html

    return html.unescape(text)


def check(case: Case, text: str) -> None:
    stuck = UploadBatch.objects.filter(
        status__in=[
            UploadBatch.Status.QUEUED,
            UploadBatch.Status.VALIDATING,
            UploadBatch.Status.IMPORTING,
        ]
    )
    assert not stuck.exists(), list(stuck.values("status", "progress_message"))
    text = unescape(text)
    if not case.imports:
        assert OutcomeObservation.objects.count() == 0
        assert UploadBatch.objects.filter(status=UploadBatch.Status.IMPORTED).count() == 0
        for word in case.words:
            assert word in text, (word, text[:3000])
        return
    assert OutcomeObservation.objects.count() == case.rows, text[:3000]
    first = OutcomeObservation.objects.order_by("period_start").first()
    for attribute, value in case.stored.items():
        assert getattr(first, attribute) == value, (attribute, text[:2000])


@pytest.fixture
def no_tracebacks(caplog):
    caplog.set_level(logging.WARNING)
    yield
    logged = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not logged, [r.getMessage() for r in logged]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
@pytest.mark.parametrize("way", ["admin", "command", "api"])
def test_corpus_file(case, way, client, site_a, contributor_a, tmp_path, media_tmp, no_tracebacks):
    data = case.path.read_bytes()
    if way == "admin":
        text = admin_way(client, site_a, contributor_a, case.name, data)
    elif way == "command":
        text = command_way(tmp_path, case.name, data)
    else:
        text = api_way(client, contributor_a, case.name, data)
    check(case, text)


# --- Bombs: generated small at test time, refused quickly with little memory ----------------


def wide_header_csv() -> bytes:
    return (",".join(f"column_{i}" for i in range(10_000)) + "\n").encode()


def expanding_xlsx() -> bytes:
    """A workbook of ~100 KB whose sheet expands to more than 20 MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        row = '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 1000
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(b"<worksheet><sheetData>")
            for _ in range(500):
                sheet.write(row.encode())
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def deep_json() -> bytes:
    return b"[" * 100_000 + b"]" * 100_000


def many_rows_csv() -> bytes:
    return ("metric,area,group,period_start,period_end,value\n" + "a,b,c,d,e,f\n" * 3000).encode()


BOMBS = {
    "wide_header.csv": (wide_header_csv, "longer than"),
    "expanding.xlsx": (expanding_xlsx, "expands to"),
    "deep.json": (deep_json, "nested"),
    "many_rows.csv": (many_rows_csv, "more than 1,000 rows"),
}


@override_settings(PORTAL_UPLOAD_XLSX_MAX_UNCOMPRESSED_BYTES=20 * 1024 * 1024)
@override_settings(PORTAL_UPLOAD_MAX_ROWS=1000)
@pytest.mark.parametrize("name", list(BOMBS))
@pytest.mark.parametrize("way", ["admin", "command", "api"])
def test_bomb_is_refused_quickly_in_bounded_memory(
    name, way, client, site_a, contributor_a, tmp_path, media_tmp, no_tracebacks
):
    make, word = BOMBS[name]
    data = make()
    tracemalloc.start()
    start = time.perf_counter()
    if way == "admin":
        text = admin_way(client, site_a, contributor_a, name, data)
    elif way == "command":
        text = command_way(tmp_path, name, data)
    else:
        text = api_way(client, contributor_a, name, data)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    check(Case(name, False, (word,)), text)
    assert elapsed < 10, elapsed
    assert peak < 150 * 1024 * 1024, peak
