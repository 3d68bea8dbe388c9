"""Keeping the index true through the real task path: page signals enqueue
``search.tasks`` after commit, and the test settings' immediate backend runs them."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from portal.models import Jurisdiction
from search.backends.base import SearchQuery
from search.models import SearchEntry
from search.services import search_index_check, search_index_object, search_index_rebuild
from tests import factories

pytestmark = pytest.mark.django_db

try:
    from strategies.models import StrategyPage  # noqa: F401

    HAS_STRATEGIES = True
except ImportError:  # pragma: no cover
    HAS_STRATEGIES = False

needs_strategies = pytest.mark.skipif(
    not HAS_STRATEGIES, reason="strategies.models.StrategyPage does not exist yet"
)


def entry(doc_type: str, pk) -> SearchEntry | None:
    return SearchEntry.objects.filter(doc_type=doc_type, object_id=str(pk)).first()


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF showing ``text`` in Helvetica, with a correct xref table."""
    stream = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def minimal_docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    table = document.add_table(rows=1, cols=1)
    table.rows[0].cells[0].text = "Tabled clause about forfeiture"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def wagtail_document(title: str, name: str, content: bytes):
    from wagtail.documents import get_document_model

    document = get_document_model()(title=title)
    document.file.save(name, ContentFile(content), save=False)
    document.save()
    return document


# --- Grantee sites (no strategies needed) ---------------------------------------------------


def test_saving_a_site_indexes_it(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        site = factories.GranteeSiteFactory(slug="osage", name="Osage Bend Prosecutor")
    row = entry("site", site.pk)
    assert row is not None and row.title == "Osage Bend Prosecutor"
    assert row.url == "/sites/osage/"


def test_deleting_a_site_removes_it(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        site = factories.GranteeSiteFactory(slug="gone")
    with django_capture_on_commit_callbacks(execute=True):
        site.delete()
    assert entry("site", site.pk) is None


def test_nothing_is_indexed_before_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        site = factories.GranteeSiteFactory(slug="pending")
    assert entry("site", site.pk) is None  # the request never indexes
    assert callbacks  # ...it only queued the task
    for callback in callbacks:
        callback()
    assert entry("site", site.pk) is not None


# --- Strategies -----------------------------------------------------------------------------


@needs_strategies
def test_publishing_a_strategy_indexes_it(
    strategy_index, site_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = factories.strategy_page_for(
            site_a,
            parent=strategy_index,
            title="Witness relocation fund",
            ratings=[("Witness appearance", "promising")],
        )
    row = entry("strategy", page.pk)
    assert row is not None
    assert row.title == "Witness relocation fund"
    assert row.url == page.url
    assert row.evidence_ratings == ["promising"]
    assert row.state == site_a.jurisdiction.state
    from search.selectors import search_run

    results = search_run(SearchQuery(text="relocation"))
    assert [h.document.key for h in results.hits] == [f"strategy:{page.pk}"]


@needs_strategies
def test_draft_strategies_never_appear(
    strategy_index, site_a, django_capture_on_commit_callbacks, client
):
    with django_capture_on_commit_callbacks(execute=True):
        draft = factories.strategy_page_for(
            site_a, parent=strategy_index, title="Secret draft plan", publish=False
        )
    assert entry("strategy", draft.pk) is None
    assert search_index_object(doc_type="strategy", pk=str(draft.pk)) == "removed"
    search_index_rebuild()
    assert entry("strategy", draft.pk) is None
    assert "Secret draft plan" not in client.get("/search/", {"q": "secret"}).content.decode()
    assert client.get("/api/v1/search/", {"q": "secret draft"}).json()["total"] == 0


@needs_strategies
def test_unsaved_draft_changes_do_not_leak(
    strategy_index, site_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = factories.strategy_page_for(site_a, parent=strategy_index, title="Public title")
        page.title = "Embargoed new title"
        page.save_revision()  # a draft revision, not published
    search_index_rebuild()
    assert entry("strategy", page.pk).title == "Public title"


@needs_strategies
def test_unpublishing_removes_it(strategy_index, site_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page = factories.strategy_page_for(site_a, parent=strategy_index, title="Short-lived")
    assert entry("strategy", page.pk) is not None
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    assert entry("strategy", page.pk) is None


@needs_strategies
def test_deleting_removes_it(strategy_index, site_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page = factories.strategy_page_for(site_a, parent=strategy_index, title="To delete")
    pk = page.pk
    with django_capture_on_commit_callbacks(execute=True):
        page.delete()
    assert entry("strategy", pk) is None


@needs_strategies
def test_moving_reindexes(strategy_index, site_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = factories.strategy_page_for(site_a, parent=strategy_index, title="First")
        factories.strategy_page_for(site_a, parent=strategy_index, title="Second")
    SearchEntry.objects.filter(doc_type="strategy", object_id=str(first.pk)).update(title="stale")
    with django_capture_on_commit_callbacks(execute=True):
        first.move(strategy_index, pos="last-child")
    assert entry("strategy", first.pk).title == "First"


@needs_strategies
def test_renaming_the_index_updates_urls(
    strategy_index, site_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = factories.strategy_page_for(site_a, parent=strategy_index, title="Moved along")
        strategy_index.slug = "practices"
        strategy_index.save_revision().publish()
    assert entry("strategy", page.pk).url.startswith("/practices/")


@needs_strategies
def test_changing_a_jurisdiction_reindexes_its_strategies(
    strategy_index, site_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = factories.strategy_page_for(site_a, parent=strategy_index, title="Stateful")
        jurisdiction = site_a.jurisdiction
        jurisdiction.state = "NV"
        jurisdiction.kind = Jurisdiction.Kind.STATE
        jurisdiction.save()
    row = entry("strategy", page.pk)
    assert (row.state, row.region, row.jurisdiction_kind) == ("NV", "West", "state")
    assert entry("site", site_a.pk).state == "NV"


@needs_strategies
@pytest.mark.parametrize(
    ("name", "make", "phrase"),
    [
        ("protocol.pdf", minimal_pdf, "Witness relocation protocol"),
        ("protocol.docx", minimal_docx, "Witness relocation protocol"),
    ],
)
def test_attached_documents_are_searchable_by_their_text(
    name, make, phrase, strategy_index, site_a, media_tmp, django_capture_on_commit_callbacks
):
    document = wagtail_document("Relocation paperwork", name, make(phrase))
    with django_capture_on_commit_callbacks(execute=True):
        page = factories.strategy_page_for(
            site_a,
            parent=strategy_index,
            title="Relocation strategy",
            body=[
                {"type": "problem", "value": "<p>Witnesses were threatened.</p>"},
                {"type": "document", "value": {"document": document.pk, "description": "MOU"}},
            ],
        )
    row = entry("document", document.pk)
    assert row is not None
    assert "relocation protocol" in row.body.lower()
    assert row.site == site_a.slug
    assert row.extra["strategy_title"] == "Relocation strategy"
    from search.selectors import search_run

    hits = search_run(SearchQuery(text='"relocation protocol"')).hits
    assert [h.document.key for h in hits] == [f"document:{document.pk}"]
    if name.endswith(".docx"):
        assert "forfeiture" in row.body.lower()
    # Unpublishing the strategy takes its document out too.
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    assert entry("document", document.pk) is None


@needs_strategies
def test_unattached_documents_are_not_indexed(media_tmp, django_capture_on_commit_callbacks, db):
    with django_capture_on_commit_callbacks(execute=True):
        document = wagtail_document("Loose file", "loose.pdf", minimal_pdf("Loose words"))
    assert entry("document", document.pk) is None


# --- Rebuild and check ----------------------------------------------------------------------


@needs_strategies
def test_check_and_rebuild_command(strategy_index, site_a, capsys):
    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Not yet indexed")
    SearchEntry.objects.create(doc_type="strategy", object_id="999999", title="Ghost")
    check = search_index_check()
    assert f"strategy:{page.pk}" in check.missing
    assert "strategy:999999" in check.extra
    with pytest.raises(SystemExit) as exit_info:
        call_command("search_index", "--check")
    assert exit_info.value.code == 1
    output = capsys.readouterr().out
    assert f"strategy:{page.pk}" in output and "strategy:999999" in output

    call_command("search_index", "--rebuild")
    assert search_index_check().in_sync
    call_command("search_index", "--check")  # exits normally when in sync
    assert "in sync" in capsys.readouterr().out


@needs_strategies
def test_restricted_pages_leave_the_index(
    strategy_index, site_a, django_capture_on_commit_callbacks
):
    from wagtail.models import PageViewRestriction

    with django_capture_on_commit_callbacks(execute=True):
        page = factories.strategy_page_for(site_a, parent=strategy_index, title="Members only")
    assert entry("strategy", page.pk) is not None
    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(
            page=page, restriction_type=PageViewRestriction.PASSWORD, password="x"
        )
    assert entry("strategy", page.pk) is None


@needs_strategies
def test_demo_step_indexes_published_content(strategy_index, site_a):
    from search import demo

    page = factories.strategy_page_for(site_a, parent=strategy_index, title="Demo indexed")
    out = io.StringIO()
    demo.load(stdout=out, verbosity=1)
    assert entry("strategy", page.pk) is not None
    assert entry("site", site_a.pk) is not None
    assert "Search: indexed" in out.getvalue()
    demo.load(stdout=out, verbosity=0)  # idempotent
    assert SearchEntry.objects.filter(doc_type="strategy", object_id=str(page.pk)).count() == 1
