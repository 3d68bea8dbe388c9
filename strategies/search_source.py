"""The ``strategy`` and ``document`` search sources: published strategy pages, and the
PDF/DOCX files attached to them (searchable by their text).

Registered from ``StrategiesConfig.ready()``; the signal handlers here only schedule index
updates. A grantee site's change reaches its strategies through ``site_dependents``.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.db.models.signals import post_delete, post_save
from django.utils.html import strip_tags
from wagtail.documents import get_document_model
from wagtail.models import PageViewRestriction
from wagtail.rich_text import RichText
from wagtail.signals import page_published, page_unpublished, post_page_move

from portal.indexing import (
    SearchDocument,
    SearchSource,
    clean_text,
    jurisdiction_fields,
    schedule_delete,
    schedule_update,
)
from strategies.models import EvidenceRating, StrategyIndexPage, StrategyPage

logger = logging.getLogger("strategies")

MAX_DOCUMENT_CHARS = 200_000


def block_text(value: Any) -> Iterator[str]:
    """Plain text of a StreamField value, whatever the block (rich text, structs, tables)."""
    if value is None:
        return
    if isinstance(value, RichText):
        yield strip_tags(value.source)
    elif isinstance(value, str):
        yield strip_tags(value)
    elif isinstance(value, dict):
        if "data" in value and isinstance(value["data"], list):  # TableBlock
            for row in value["data"]:
                yield " ".join(str(c) for c in row or [] if c)
        else:
            for key, item in value.items():
                if key not in {"document", "image"}:
                    yield from block_text(item)
    elif isinstance(value, (list, tuple)) or hasattr(value, "raw_data"):
        for item in value:
            yield from block_text(getattr(item, "value", item))
    elif hasattr(value, "items"):
        for key, item in value.items():
            if key not in {"document", "image"}:
                yield from block_text(item)


def extract_file_text(file, name: str) -> str:
    """Text of a PDF or DOCX file (first ``MAX_DOCUMENT_CHARS`` characters); "" for other
    formats or unreadable files, which are still indexed by title."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    try:
        data = file.read()
        if extension == "pdf":
            from pypdf import PdfReader

            reader = PdfReader(io.BytesIO(data))
            parts, size = [], 0
            for page in reader.pages:
                text = page.extract_text() or ""
                parts.append(text)
                size += len(text)
                if size >= MAX_DOCUMENT_CHARS:
                    break
            return clean_text(" ".join(parts))[:MAX_DOCUMENT_CHARS]
        if extension == "docx":
            import docx

            document = docx.Document(io.BytesIO(data))
            parts = [p.text for p in document.paragraphs]
            for table in document.tables:
                for row in table.rows:
                    parts.extend(cell.text for cell in row.cells)
            return clean_text(" ".join(parts))[:MAX_DOCUMENT_CHARS]
        if extension in {"txt", "md", "csv"}:
            return clean_text(data.decode("utf-8", "replace"))[:MAX_DOCUMENT_CHARS]
    except Exception as exc:  # noqa: BLE001 - a broken upload must not stop indexing
        logger.warning("Could not extract text from %s: %s", name, exc)
    return ""


def strategy_document_ids(page) -> list[int]:
    """Pks of Wagtail documents in ``page``'s body (document blocks only)."""
    ids = []
    for block in page.body:
        if block.block_type == "document" and block.value.get("document") is not None:
            ids.append(block.value["document"].pk)
    return ids


def published_strategies() -> QuerySet:
    return (
        StrategyPage.objects.live()
        .public()
        .select_related("grantee_site__jurisdiction")
        .prefetch_related("strategy_types", "evidence_ratings", "tags")
    )


class StrategySource(SearchSource):
    doc_type = "strategy"
    label = "Strategy"

    def queryset(self) -> QuerySet:
        return published_strategies()

    def to_document(self, obj) -> SearchDocument:
        types = list(obj.strategy_types.all())
        ratings = list(obj.evidence_ratings.all())
        body_parts = list(block_text(obj.body))
        body_parts += [r.outcome + ". " + r.reason for r in ratings]
        body_parts += [t.name for t in obj.tags.all()]
        body_parts += [t.name for t in types]
        overall = obj.overall_rating
        return SearchDocument(
            doc_type=self.doc_type,
            object_id=str(obj.pk),
            title=obj.title,
            url=obj.get_url() or obj.url_path,
            summary=clean_text(obj.summary),
            body=clean_text(" ".join(body_parts)),
            strategy_types=[t.slug for t in types],
            evidence_ratings=[str(overall)],
            metrics=sorted({r.metric_code for r in ratings if r.metric_code}),
            year=obj.start_year,
            published_at=obj.first_published_at,
            extra={
                "strategy_type_names": [t.name for t in types],
                "status": obj.get_status_display(),
            },
            **jurisdiction_fields(obj.grantee_site),
        )

    def connect(self) -> None:
        page_published.connect(_strategy_changed, sender=StrategyPage, weak=False)
        # BJA's ratings change outside page revisions, so a rating is its own trigger.
        post_save.connect(_rating_changed, sender=EvidenceRating, weak=False)
        page_unpublished.connect(_strategy_changed, sender=StrategyPage, weak=False)
        post_delete.connect(_strategy_deleted, sender=StrategyPage, weak=False)
        # A move or a renamed index changes every URL below it.
        post_page_move.connect(_page_moved, weak=False)
        page_published.connect(_index_changed, sender=StrategyIndexPage, weak=False)
        # A view restriction (password, login) takes a page out of public search.
        post_save.connect(_restriction_changed, sender=PageViewRestriction, weak=False)
        post_delete.connect(_restriction_changed, sender=PageViewRestriction, weak=False)


def _strategy_changed(sender, instance, **kwargs) -> None:
    schedule_update("strategy", instance.pk)
    for pk in strategy_document_ids(instance):
        schedule_update("document", pk)


def _rating_changed(sender, instance, **kwargs) -> None:
    schedule_update("strategy", instance.page_id)


def _strategy_deleted(sender, instance, **kwargs) -> None:
    schedule_delete("strategy", instance.pk)
    try:
        document_ids = strategy_document_ids(instance)
    except Exception:  # noqa: BLE001 - a half-deleted page may not load its body
        document_ids = []
    for pk in document_ids:
        schedule_update("document", pk)


def _index_changed(sender, instance, **kwargs) -> None:
    for page in StrategyPage.objects.descendant_of(instance).specific():
        _strategy_changed(StrategyPage, page)


def _restriction_changed(sender, instance, **kwargs) -> None:
    _page_moved(sender, instance.page)


def _page_moved(sender, instance, **kwargs) -> None:
    pages = StrategyPage.objects.descendant_of(instance, inclusive=True).specific()
    for page in pages:
        _strategy_changed(StrategyPage, page)


class DocumentSource(SearchSource):
    """PDF/DOCX files attached to published strategies, searchable by their text."""

    doc_type = "document"
    label = "Document"

    def _attachments(self) -> dict[int, tuple[Any, str]]:
        """Document pk → (the first published strategy citing it, its description)."""
        found: dict[int, tuple[Any, str]] = {}
        for page in published_strategies().order_by("first_published_at", "pk"):
            for block in page.body:
                if block.block_type != "document" or block.value.get("document") is None:
                    continue
                found.setdefault(
                    block.value["document"].pk, (page, block.value.get("description") or "")
                )
        return found

    def queryset(self) -> QuerySet:
        return get_document_model().objects.filter(pk__in=list(self._attachments()))

    def documents(self) -> Iterator[SearchDocument]:
        attachments = self._attachments()
        for obj in self.queryset():
            yield self._document(obj, *attachments[obj.pk])

    def get_published(self, pk: str) -> Any | None:
        attachment = self._attachments().get(int(pk))
        if attachment is None:
            return None
        obj = get_document_model().objects.filter(pk=pk).first()
        return (obj, *attachment) if obj is not None else None

    def to_document(self, obj) -> SearchDocument:
        """``obj`` is a document or the (document, strategy, description) ``get_published``
        returns."""
        if isinstance(obj, tuple):
            return self._document(*obj)
        attachment = self._attachments().get(obj.pk)
        if attachment is None:
            raise LookupError(f"Document {obj.pk} is not attached to a published strategy")
        return self._document(obj, *attachment)

    def _document(self, obj, page, description: str) -> SearchDocument:
        with obj.open_file() as handle:
            text = extract_file_text(handle, obj.file.name)
        created = getattr(obj, "created_at", None) or dt.datetime.now(dt.UTC)
        return SearchDocument(
            doc_type=self.doc_type,
            object_id=str(obj.pk),
            title=obj.title,
            url=obj.url,
            summary=clean_text(description or f"Attached to “{page.title}”."),
            body=text,
            strategy_types=[t.slug for t in page.strategy_types.all()],
            year=page.start_year,
            published_at=created,
            extra={
                "strategy_title": page.title,
                "strategy_url": page.get_url() or "",
                "file_extension": obj.file_extension,
            },
            **jurisdiction_fields(page.grantee_site),
        )

    def connect(self) -> None:
        model = get_document_model()
        post_save.connect(_document_changed, sender=model, weak=False)
        post_delete.connect(_document_deleted, sender=model, weak=False)


def _document_changed(sender, instance, **kwargs) -> None:
    schedule_update("document", instance.pk)


def _document_deleted(sender, instance, **kwargs) -> None:
    schedule_delete("document", instance.pk)


def site_dependents(site) -> Iterable[tuple[str, Any]]:
    """Everything whose facets come from ``site``: its strategies and their documents."""
    keys: list[tuple[str, Any]] = []
    for page in StrategyPage.objects.filter(grantee_site=site).specific():
        keys.append(("strategy", page.pk))
        keys.extend(("document", pk) for pk in strategy_document_ids(page))
    return keys
