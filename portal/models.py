"""Shared models: the home page, jurisdictions, grantee sites and who belongs to them."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

US_STATES: tuple[tuple[str, str], ...] = (
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"),
    ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"),
    ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"), ("WV", "West Virginia"),
    ("WI", "Wisconsin"), ("WY", "Wyoming"), ("AS", "American Samoa"), ("GU", "Guam"),
    ("MP", "Northern Mariana Islands"), ("PR", "Puerto Rico"), ("VI", "U.S. Virgin Islands"),
)  # fmt: skip

# Census regions, so users can narrow to "the South" and the like.
CENSUS_REGIONS: dict[str, str] = {
    **dict.fromkeys(["CT", "ME", "MA", "NH", "RI", "VT", "NJ", "NY", "PA"], "Northeast"),
    **dict.fromkeys(
        ["IL", "IN", "MI", "OH", "WI", "IA", "KS", "MN", "MO", "NE", "ND", "SD"], "Midwest"
    ),
    **dict.fromkeys(
        [
            "DE",
            "DC",
            "FL",
            "GA",
            "MD",
            "NC",
            "SC",
            "VA",
            "WV",
            "AL",
            "KY",
            "MS",
            "TN",
            "AR",
            "LA",
            "OK",
            "TX",
        ],
        "South",
    ),
    **dict.fromkeys(
        ["AZ", "CO", "ID", "MT", "NV", "NM", "UT", "WY", "AK", "CA", "HI", "OR", "WA"], "West"
    ),
    **dict.fromkeys(["AS", "GU", "MP", "PR", "VI"], "Territories"),
}

CENSUS_REGION_NAMES: tuple[str, ...] = ("Northeast", "Midwest", "South", "West", "Territories")


def census_region(state: str) -> str:
    """The Census Bureau region of a USPS state code ("" when unknown); the one definition
    every filter, profile and similarity score uses."""
    return CENSUS_REGIONS.get((state or "").upper(), "")


def states_in_region(region: str) -> list[str]:
    """USPS codes of the states in ``region`` (matched case-insensitively; [] if unknown)."""
    wanted = (region or "").strip().lower()
    return sorted(code for code, name in CENSUS_REGIONS.items() if name.lower() == wanted)


# Population bands of the jurisdiction an office serves: (code, label, lowest, highest).
# The 250,000 and 1,000,000 breaks are the usual ones for prosecutors' offices by population
# served; the extra breaks split the small and middle bands where most IPS sites sit.
POPULATION_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("under_100k", "Under 100,000", 0, 99_999),
    ("100k_250k", "100,000 to 249,999", 100_000, 249_999),
    ("250k_500k", "250,000 to 499,999", 250_000, 499_999),
    ("500k_1m", "500,000 to 999,999", 500_000, 999_999),
    ("1m_plus", "1,000,000 or more", 1_000_000, None),
)


def population_band(population: int | None) -> tuple[str, str]:
    """``(code, label)`` of the band holding ``population``; ``("", "Unknown")`` for None."""
    if population is None:
        return "", "Unknown"
    for code, label, low, high in POPULATION_BANDS:
        if population >= low and (high is None or population <= high):
            return code, label
    return "", "Unknown"


class HomePage(Page):
    """The portal's front page: what IPS is and where each kind of user starts."""

    intro = models.CharField(max_length=300, blank=True)
    body = RichTextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = "home page"


class Jurisdiction(models.Model):
    """A place a prosecutor's office serves: a state, county, city, tribe or district."""

    class Kind(models.TextChoices):
        STATE = "state", "State"
        COUNTY = "county", "County"
        CITY = "city", "City"
        TRIBAL = "tribal", "Tribal"
        DISTRICT = "district", "Judicial district"

    name = models.CharField(max_length=150)
    state = models.CharField(
        max_length=2,
        choices=US_STATES,
        help_text="USPS code of the state or territory.",
    )
    fips_code = models.CharField(
        "FIPS code",
        max_length=7,
        blank=True,
        validators=[RegexValidator(r"^\d{2}(\d{3})?(\d{2})?$", "A FIPS code is 2, 5 or 7 digits.")],
        help_text="State (2 digits) or county (5 digits) FIPS code, where one exists.",
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    population = models.PositiveIntegerField(null=True, blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("state"),
        FieldPanel("kind"),
        FieldPanel("fips_code"),
        FieldPanel("population"),
    ]

    class Meta:
        ordering = ["state", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "state", "kind"], name="jurisdiction_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.state}"

    @property
    def region(self) -> str:
        return census_region(self.state)

    @property
    def population_band(self) -> tuple[str, str]:
        return population_band(self.population)


class GranteeSite(ClusterableModel):
    """A prosecutor's office funded by an IPS award; the unit that owns uploads and write-ups."""

    name = models.CharField("office name", max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="grantee_sites"
    )
    award_number = models.CharField(
        "grant award number", max_length=40, blank=True, help_text="e.g. 15PBJA-21-GG-01234-SMAR"
    )
    fiscal_year = models.PositiveSmallIntegerField("award fiscal year", null=True, blank=True)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    research_partner = models.CharField(
        max_length=200, blank=True, help_text="The university or firm evaluating the strategy."
    )
    description = models.TextField(blank=True)
    is_demo = models.BooleanField(
        default=False, help_text="Fictional site created by load_demo_data."
    )
    media_collection = models.OneToOneField(
        "wagtailcore.Collection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="grantee_site",
        help_text="The site's own documents and images (see portal.services.site_media_sync).",
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("jurisdiction"),
        MultiFieldPanel([FieldPanel("award_number"), FieldPanel("fiscal_year")], heading="Award"),
        MultiFieldPanel(
            [
                FieldPanel("contact_name"),
                FieldPanel("contact_email"),
                FieldPanel("research_partner"),
            ],
            heading="Contacts",
        ),
        FieldPanel("description"),
        InlinePanel("memberships", label="Members"),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SiteMembership(models.Model):
    """Links a site contributor to a grantee site; contributors act only for their sites."""

    site = ParentalKey(GranteeSite, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="site_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [FieldPanel("user")]

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.site}"


class ApiToken(models.Model):
    """A personal API token: the bearer acts as its user, with that user's permissions.

    Only a SHA-256 hash of the token is stored, so a database leak does not leak working
    tokens; the plaintext is shown once when the token is created. ``key_prefix`` (the first
    eight characters) lets people tell their tokens apart.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_api_tokens"
    )
    name = models.CharField(
        max_length=100, help_text="What the token is for, e.g. 'nightly export'."
    )
    key_prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class WorkerHeartbeat(models.Model):
    """One task worker (``manage.py db_worker``) and when it last said it was alive.

    The worker writes its row every few seconds from a background thread, also while a long
    task runs, so "last seen" means "the process is up", not "it finished a task". Staff see
    the newest row on the admin dashboard (``portal.worker.worker_status``)."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"worker {self.worker_id[:8]} on {self.hostname or '?'} (pid {self.pid})"
