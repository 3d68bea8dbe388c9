"""Demo content for the base app: the page tree, fictional jurisdictions and grantee sites,
and one user per role. Every name here is invented and marked as demo data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TextIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from wagtail.models import Page, Site

from portal.models import GranteeSite, HomePage, Jurisdiction, SiteMembership
from portal.roles import BJA_STAFF, RESEARCH_PARTNER, SITE_CONTRIBUTOR
from portal.services import site_membership_changed


@dataclass(frozen=True)
class DemoSite:
    slug: str
    name: str
    jurisdiction: str
    state: str
    kind: str
    population: int
    fips: str
    award: str
    fiscal_year: int
    research_partner: str


DEMO_SITES: tuple[DemoSite, ...] = (
    DemoSite("harlow-county-mo", "Harlow County Prosecuting Attorney's Office", "Harlow County",
             "MO", "county", 412_000, "", "15PBJA-21-GG-04101-SMAR", 2021,
             "Missouri Valley University, School of Criminology (demo)"),
    DemoSite("port-meridian-va", "Port Meridian Commonwealth's Attorney", "City of Port Meridian",
             "VA", "city", 238_000, "", "15PBJA-20-GG-03377-SMAR", 2020,
             "Tidewater Policy Research Group (demo)"),
    DemoSite("nevada-statewide", "Statewide Violent Crime Prosecution Unit (demo)",
             "State of Nevada", "NV", "state", 3_180_000, "32", "15PBJA-22-GG-02044-SMAR", 2022,
             "Sierra Institute for Justice Research (demo)"),
    DemoSite("red-cedar-nation", "Red Cedar Nation Tribal Prosecutor's Office",
             "Red Cedar Nation", "OK", "tribal", 21_500, "", "15PBJA-21-GG-04588-SMAR", 2021,
             "Prairie Tribal Justice Research Collaborative (demo)"),
    DemoSite("ashford-county-ga", "Ashford County District Attorney's Office", "Ashford County",
             "GA", "county", 690_000, "", "15PBJA-19-GG-01912-SMAR", 2019,
             "Piedmont State University, Center for Public Safety (demo)"),
    DemoSite("lakemont-oh", "Lakemont City Prosecutor's Office", "City of Lakemont", "OH",
             "city", 305_000, "", "15PBJA-22-GG-02610-SMAR", 2022,
             "Great Lakes Evaluation Partners (demo)"),
    DemoSite("third-district-co", "Office of the District Attorney, 23rd Judicial District (demo)",
             "23rd Judicial District", "CO", "district", 540_000, "",
             "15PBJA-20-GG-03015-SMAR", 2020, "Front Range Justice Lab (demo)"),
    DemoSite("bayridge-county-md", "Bayridge County State's Attorney's Office", "Bayridge County",
             "MD", "county", 880_000, "", "15PBJA-21-GG-04233-SMAR", 2021,
             "Chesapeake Crime Research Consortium (demo)"),
    DemoSite("kessler-county-il", "Kessler County State's Attorney's Office", "Kessler County",
             "IL", "county", 365_000, "", "15PBJA-21-GG-04377-SMAR", 2021,
             "Prairie State University, Crime Lab for Public Policy (demo)"),
    DemoSite("dunmore-county-tx", "Dunmore County Criminal District Attorney's Office",
             "Dunmore County", "TX", "county", 545_000, "", "15PBJA-20-GG-03268-SMAR", 2020,
             "Gulf Coast Justice Research Center (demo)"),
)  # fmt: skip


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str | None
    password: str
    sites: tuple[str, ...] = ()
    superuser: bool = False


def demo_bja_user():
    """The demo's BJA staff member, who signs the demo's governance actions (ratings,
    approvals) so the audit log shows them; None before the users exist."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(username="bja").first()


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", None, "demo-admin-2026", superuser=True),
    DemoUser("bja", BJA_STAFF, "demo-bja-2026"),
    DemoUser("researcher", RESEARCH_PARTNER, "demo-researcher-2026"),
    DemoUser("contributor", SITE_CONTRIBUTOR, "demo-contributor-2026", sites=("harlow-county-mo",)),
    DemoUser("contributor2", SITE_CONTRIBUTOR, "demo-contributor2-2026",
             sites=("port-meridian-va",)),
)  # fmt: skip


def home_page_ensure() -> HomePage:
    """Make the portal's HomePage the root of the default Wagtail site (idempotent)."""
    home = HomePage.objects.first()
    if home is None:
        root = Page.get_first_root_node()
        home = HomePage(
            title="Innovative Prosecution Solutions",
            slug="ips",
            intro=(
                "Data-driven strategies against violent crime, written up by the prosecutors' "
                "offices that built them, with the evidence of what they achieved."
            ),
        )
        root.add_child(instance=home)
        home.save_revision().publish()
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name="IPS portal",
        )
    elif site.root_page_id != home.pk:
        old_root = site.root_page.specific
        site.root_page = home
        site.site_name = "IPS portal"
        site.save()
        # Wagtail's installer leaves a "Welcome" page; it has no place in the portal.
        if type(old_root) is Page and not old_root.get_children().exists():
            old_root.delete()
    return home


def demo_sites_ensure() -> list[GranteeSite]:
    sites = []
    for demo in DEMO_SITES:
        jurisdiction, _ = Jurisdiction.objects.get_or_create(
            name=demo.jurisdiction,
            state=demo.state,
            kind=demo.kind,
            defaults={"population": demo.population, "fips_code": demo.fips},
        )
        site, _ = GranteeSite.objects.get_or_create(
            slug=demo.slug,
            defaults={
                "name": demo.name,
                "jurisdiction": jurisdiction,
                "award_number": demo.award,
                "fiscal_year": demo.fiscal_year,
                "research_partner": demo.research_partner,
                "contact_name": "Demo Contact",
                "contact_email": f"ips-{demo.slug}@example.org",
                "description": "Fictional grantee site created as demo data.",
                "is_demo": True,
            },
        )
        sites.append(site)
    return sites


def demo_users_ensure() -> list[tuple[DemoUser, bool]]:
    """Create one user per role; returns (user spec, created) pairs."""
    User = get_user_model()
    out = []
    for spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "email": f"{spec.username}@example.org",
                "first_name": spec.username.capitalize(),
                "last_name": "(demo)",
                "is_staff": spec.superuser,
                "is_superuser": spec.superuser,
            },
        )
        if created:
            if settings.DEBUG:
                user.set_password(spec.password)
            else:
                user.set_unusable_password()
            user.save()
        if spec.role:
            user.groups.add(Group.objects.get(name=spec.role))
        for slug in spec.sites:
            site = GranteeSite.objects.get(slug=slug)
            before = set(site.memberships.values_list("user_id", flat=True))
            SiteMembership.objects.get_or_create(user=user, site=site)
            # Joining a site is on the audit log, as when BJA adds a member in the admin.
            site_membership_changed(site=site, user=None, before=before, after=before | {user.pk})
        out.append((spec, created))
    return out


def load(*, stdout: TextIO, verbosity: int = 1) -> None:
    home_page_ensure()
    sites = demo_sites_ensure()
    users = demo_users_ensure()
    if verbosity:
        stdout.write(f"portal: home page, {len(sites)} demo grantee sites, {len(users)} demo users")
    if settings.DEBUG and verbosity:
        stdout.write("Demo sign-ins (development only) at http://127.0.0.1:8000/admin/ :")
        for spec, _ in users:
            role = "superuser" if spec.superuser else spec.role
            where = f" for {', '.join(spec.sites)}" if spec.sites else ""
            stdout.write(f"  {spec.username:<13} {spec.password:<24} {role}{where}")
