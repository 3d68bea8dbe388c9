"""Documents and upload files stay with their site: per-site collections, no public download of
a draft's attachments, raw uploads in private storage."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from wagtail.documents import get_document_model

from tests import factories
from tests.evaluations.helpers import csv_bytes, month_rows

pytestmark = pytest.mark.django_db


def _document(site, title: str):
    Document = get_document_model()
    document = Document(title=title, collection=site.media_collection)
    document.file.save(f"{title.replace(' ', '-')}.txt", ContentFile(b"MOU text"), save=False)
    document.save()
    return document


def _attach(page, document):
    page.body = [
        {"type": "problem", "value": "<p>The problem.</p>"},
        {"type": "document", "value": {"document": document.pk, "description": "The MOU"}},
    ]
    page.save()


@pytest.fixture
def draft_b_with_document(strategy_index, site_b, contributor_b, media_tmp):
    site_b.refresh_from_db()
    document = _document(site_b, "Bravo witness MOU")
    page = factories.strategy_page_for(
        site_b, parent=strategy_index, title="Bravo draft witness plan", publish=False
    )
    _attach(page, document)
    return page, document


def test_each_site_has_its_own_collection_and_only_its_members_in_it(
    site_a, site_b, contributor_a, contributor_b
):
    site_a.refresh_from_db()
    site_b.refresh_from_db()
    assert site_a.media_collection and site_b.media_collection
    assert site_a.media_collection != site_b.media_collection
    from wagtail.permissions import policy_registry

    permission_policy = policy_registry.get_by_type(get_document_model())
    choosable_a = permission_policy.collections_user_has_permission_for(contributor_a, "choose")
    assert list(choosable_a) == [site_a.media_collection]


def test_document_chooser_lists_only_own_sites_documents(
    client, draft_b_with_document, site_a, contributor_a, contributor_b
):
    _page, document_b = draft_b_with_document
    site_a.refresh_from_db()
    document_a = _document(site_a, "Alpha zone MOU")
    client.force_login(contributor_a)
    html = client.get("/admin/documents/chooser/").content.decode()
    assert document_a.title in html and document_b.title not in html
    client.force_login(contributor_b)
    html = client.get("/admin/documents/chooser/").content.decode()
    assert document_b.title in html and document_a.title not in html


def test_a_drafts_document_is_not_served_until_the_page_is_live(
    client, draft_b_with_document, contributor_a, contributor_b, bja_user
):
    page, document = draft_b_with_document
    url = document.url
    assert client.get(url).status_code == 404
    client.force_login(contributor_a)
    assert client.get(url).status_code == 404
    client.force_login(contributor_b)
    assert client.get(url).status_code == 200
    client.force_login(bja_user)
    assert client.get(url).status_code == 200
    client.logout()
    page.save_revision().publish()
    assert client.get(url).status_code == 200


def test_upload_files_are_private_media(site_a, contributor_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from evaluations.services import outcome_upload_receive

    data = csv_bytes(*month_rows("nonfatal_shootings", "Zone 3", "treatment", [3, 4]))
    batch = outcome_upload_receive(
        site=site_a,
        user=contributor_a,
        upload=SimpleUploadedFile("private.csv", data),
        file_name="private.csv",
    )
    path = batch.stored_file.path
    assert path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    with pytest.raises(ValueError, match="no public URL"):
        _ = batch.stored_file.url
