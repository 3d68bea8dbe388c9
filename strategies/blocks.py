"""StreamField blocks for a strategy write-up.

The section blocks follow the order a practitioner reads a write-up in (the problem, what the
office did, how, with whom, what happened, what it would do differently), so each section
carries its own heading and editors cannot leave one unlabelled. Figures require alt text and
tables require a caption: both are what screen-reader users hear first.
"""

from __future__ import annotations

from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageChooserBlock

SECTION_FEATURES = ["h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link"]


class SectionBlock(blocks.RichTextBlock):
    """A rich-text section whose heading is fixed by its block type (e.g. "The problem")."""

    def __init__(self, heading: str, **kwargs) -> None:
        self.heading = heading
        kwargs.setdefault("features", SECTION_FEATURES)
        kwargs.setdefault("label", heading)
        super().__init__(**kwargs)

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        context["heading"] = self.heading
        return context

    class Meta:
        template = "strategies/blocks/section.html"
        icon = "doc-full"


class ImplementationBlock(blocks.StructBlock):
    """How the strategy was run, in the four parts other offices ask about first."""

    steps = blocks.RichTextBlock(
        features=SECTION_FEATURES, help_text="The steps, in order, as another office would follow."
    )
    staffing = blocks.RichTextBlock(
        features=SECTION_FEATURES, help_text="Who did the work: roles, FTE, hours per week."
    )
    cost = blocks.RichTextBlock(
        features=SECTION_FEATURES,
        help_text="What it cost (grant and local funds), and what it would cost to keep.",
    )
    data_and_technology = blocks.RichTextBlock(
        features=SECTION_FEATURES,
        required=False,
        help_text="Data sources, case-management changes, software and dashboards used.",
    )

    class Meta:
        template = "strategies/blocks/implementation.html"
        icon = "list-ol"
        label = "Implementation"


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(max_length=150, help_text="Name, or a role such as 'Chief ADA'.")
    role = blocks.CharBlock(max_length=150, required=False)

    class Meta:
        template = "strategies/blocks/quote.html"
        icon = "openquote"


class FigureBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        max_length=300,
        help_text="What the figure shows, for people who cannot see it. Required.",
    )
    caption = blocks.CharBlock(max_length=300, required=False)

    class Meta:
        template = "strategies/blocks/figure.html"
        icon = "image"


class DocumentBlock(blocks.StructBlock):
    """A policy, MOU or template other offices can reuse; also listed under 'Documents'."""

    document = DocumentChooserBlock()
    description = blocks.CharBlock(
        max_length=250, required=False, help_text="e.g. 'MOU with the county probation office'."
    )

    class Meta:
        template = "strategies/blocks/document.html"
        icon = "doc-full-inverse"


class CaptionedTableBlock(blocks.StructBlock):
    """A small table with a required caption; the page offers it as CSV too."""

    caption = blocks.CharBlock(max_length=200, help_text="What the table shows. Required.")
    table = TableBlock(
        table_options={"contextMenu": ["row_above", "row_below", "col_left", "col_right"]}
    )
    source = blocks.CharBlock(
        max_length=250, required=False, help_text="Where the figures come from."
    )

    class Meta:
        template = "strategies/blocks/table.html"
        icon = "table"
        label = "Table"


SECTION_HEADINGS: dict[str, str] = {
    "problem": "The problem",
    "what_we_did": "What we did",
    "partners": "Partners",
    "results": "Results",
    "lessons": "Lessons learned",
}


class StrategyBodyBlock(blocks.StreamBlock):
    problem = SectionBlock(SECTION_HEADINGS["problem"])
    what_we_did = SectionBlock(SECTION_HEADINGS["what_we_did"])
    implementation = ImplementationBlock()
    partners = SectionBlock(SECTION_HEADINGS["partners"])
    results = SectionBlock(SECTION_HEADINGS["results"])
    lessons = SectionBlock(SECTION_HEADINGS["lessons"])
    text = blocks.RichTextBlock(
        features=["h2", *SECTION_FEATURES],
        label="Other text",
        template="strategies/blocks/text.html",
    )
    quote = QuoteBlock()
    figure = FigureBlock()
    document = DocumentBlock()
    table = CaptionedTableBlock()
