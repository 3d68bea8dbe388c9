"""Demo content for the strategies app: the /strategies/ index with its review workflow, and
published write-ups from the fictional demo sites (text in ``strategies.demo_content``).

Idempotent: a strategy that already exists (by slug) is left exactly as it is, so running
``load_demo_data`` twice changes nothing, and edits made while demoing survive a reload.
"""

from __future__ import annotations

import datetime
import io
from typing import TextIO

from django.core.files.base import ContentFile
from django.utils import timezone
from wagtail.documents import get_document_model

from portal.demo import demo_bja_user, home_page_ensure
from portal.models import GranteeSite
from strategies.demo_content import DEMO_STRATEGIES, DemoDocument, DemoStrategy
from strategies.models import (
    PartnerAgency,
    RelatedStrategy,
    StrategyIndexPage,
    StrategyPage,
    StrategyType,
)
from strategies.services import evidence_rating_set, strategy_index_ensure


def _document_bytes(spec: DemoDocument) -> bytes:
    if spec.filename.endswith(".docx"):
        from docx import Document

        document = Document()
        document.add_heading(spec.paragraphs[0], level=1)
        for paragraph in spec.paragraphs[1:]:
            document.add_paragraph(paragraph)
        buffer = io.BytesIO()
        document.save(buffer)
        return buffer.getvalue()
    return ("\n".join(spec.paragraphs) + "\n").encode()


def demo_document_ensure(spec: DemoDocument):
    """The Wagtail document for ``spec``, created with a generated file if missing."""
    Document = get_document_model()
    document = Document.objects.filter(title=spec.title).first()
    if document is None:
        document = Document(title=spec.title)
        document.file.save(spec.filename, ContentFile(_document_bytes(spec)), save=False)
        document.save()
    return document


def _body(spec: DemoStrategy) -> list[dict]:
    body: list[dict] = [
        {"type": "problem", "value": spec.problem},
        {"type": "what_we_did", "value": spec.what_we_did},
        {
            "type": "quote",
            "value": {"quote": spec.quote[0], "attribution": spec.quote[1], "role": ""},
        },
        {
            "type": "implementation",
            "value": {
                "steps": spec.steps,
                "staffing": spec.staffing,
                "cost": spec.cost,
                "data_and_technology": spec.data_and_technology,
            },
        },
        {"type": "partners", "value": spec.partners_text},
        {"type": "results", "value": spec.results},
    ]
    if spec.table is not None:
        body.append(
            {
                "type": "table",
                "value": {
                    "caption": spec.table.caption,
                    "source": spec.table.source,
                    "table": {
                        "data": [list(row) for row in spec.table.rows],
                        "first_row_is_table_header": True,
                        "first_col_is_header": True,
                        "table_header_choice": "both",
                    },
                },
            }
        )
    body.append({"type": "lessons", "value": spec.lessons})
    if spec.document is not None:
        document = demo_document_ensure(spec.document)
        body.append(
            {
                "type": "document",
                "value": {"document": document.pk, "description": spec.document.description},
            }
        )
    return body


def demo_strategy_ensure(spec: DemoStrategy, index_page: StrategyIndexPage) -> bool:
    """Create and publish one demo strategy unless it exists; returns whether it was created."""
    if StrategyPage.objects.filter(slug=spec.slug).exists():
        return False
    page = StrategyPage(
        title=spec.title,
        slug=spec.slug,
        summary=spec.summary,
        grantee_site=GranteeSite.objects.get(slug=spec.site),
        start_year=spec.start_year,
        status=spec.status,
        body=_body(spec),
    )
    page.strategy_types = list(StrategyType.objects.filter(slug__in=spec.types))
    page.partner_agencies = [
        PartnerAgency(name=name, kind=kind, contribution=contribution)
        for name, kind, contribution in spec.partners
    ]
    index_page.add_child(instance=page)
    page.tags.add(*spec.tags)
    page.save_revision().publish()
    # Ratings are BJA's own action, outside the page's revisions, as in real use.
    for r in spec.ratings:
        evidence_rating_set(
            user=demo_bja_user(),
            page=page,
            outcome=r.outcome,
            metric_code=r.metric_code,
            rating=r.rating,
            reason=r.reason,
            rated_on=r.rated_on,
        )
    published = timezone.make_aware(datetime.datetime.combine(spec.published, datetime.time(10)))
    StrategyPage.objects.filter(pk=page.pk).update(
        first_published_at=published, last_published_at=published
    )
    return True


def demo_related_ensure(spec: DemoStrategy) -> None:
    """Hand-picked related strategies, added once both pages exist."""
    page = StrategyPage.objects.get(slug=spec.slug)
    if not spec.related or page.related_links.exists():
        return
    for order, slug in enumerate(spec.related):
        RelatedStrategy.objects.create(
            page=page, related=StrategyPage.objects.get(slug=slug), sort_order=order
        )
    page.save_revision().publish()


def load(*, stdout: TextIO, verbosity: int = 1) -> None:
    index_page = strategy_index_ensure(home_page_ensure())
    created = sum(demo_strategy_ensure(spec, index_page) for spec in DEMO_STRATEGIES)
    for spec in DEMO_STRATEGIES:
        demo_related_ensure(spec)
    if verbosity:
        stdout.write(
            f"strategies: index at /strategies/, {StrategyType.objects.count()} strategy types, "
            f"{created} new of {len(DEMO_STRATEGIES)} demo strategies"
        )
