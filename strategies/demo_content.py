# ruff: noqa: E501  (demo prose: long sentence strings read better unbroken)
"""The text of the demo strategy write-ups. Every office, place, person and figure here is
fictional and written for this project; ``strategies.demo`` turns it into pages.

Ratings agree with the findings the evaluations demo data is generated to show (Harlow
County's GunStat effective on non-fatal shootings, Port Meridian's zones inconclusive,
Ashford County's list a pre-existing trend, Bayridge County's unit and Lakemont's hearings
promising).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DemoRating:
    outcome: str
    metric_code: str
    rating: str
    reason: str
    rated_on: datetime.date


@dataclass(frozen=True)
class DemoDocument:
    title: str
    filename: str
    description: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class DemoTable:
    caption: str
    rows: tuple[tuple[str, ...], ...]
    source: str


@dataclass(frozen=True)
class DemoStrategy:
    slug: str
    site: str
    title: str
    summary: str
    types: tuple[str, ...]
    tags: tuple[str, ...]
    start_year: int
    status: str
    published: datetime.date
    problem: str
    what_we_did: str
    steps: str
    staffing: str
    cost: str
    data_and_technology: str
    partners_text: str
    results: str
    lessons: str
    quote: tuple[str, str]
    partners: tuple[tuple[str, str, str], ...]
    ratings: tuple[DemoRating, ...] = ()
    table: DemoTable | None = None
    document: DemoDocument | None = None
    related: tuple[str, ...] = field(default=())


D = datetime.date

DEMO_STRATEGIES: tuple[DemoStrategy, ...] = (
    DemoStrategy(
        slug="harlow-county-gunstat",
        site="harlow-county-mo",
        title="Harlow County GunStat: every shooting reviewed, every week",
        summary=(
            "A weekly meeting of prosecutors, police, probation and a crime analyst reviews every "
            "shooting and gun case in Harlow County's highest-violence police zone, names the "
            "people driving it and follows each case to disposition. Non-fatal shootings in the "
            "zone fell by about 30 percent against the county's other zones."
        ),
        types=("gun-violence-crime-analysis-gunstat",),
        tags=("non-fatal shootings", "gun possession", "trigger-pullers"),
        start_year=2022,
        status="sustained",
        published=D(2024, 3, 12),
        problem=(
            "<p>Police Zone 3, home to about one in seven of Harlow County's 412,000 residents, "
            "accounted for nearly three in ten of the county's non-fatal shootings in 2021 and "
            "a third of its homicides. Gun cases moved through the office one at a time: "
            "the assistant prosecutor charging a felon-in-possession case usually did not know "
            "that the defendant had been named as a shooter in two open investigations, and "
            "47 percent of gun possession felonies were reduced to misdemeanours or dismissed.</p>"
            "<p>Police, probation and the office each held part of the picture. Nobody held all "
            "of it at once, and nobody followed a gun case from arrest to sentence.</p>"
        ),
        what_we_did=(
            "<p>We started GunStat: a 90-minute meeting every Tuesday morning at the county "
            "justice centre. The analyst circulates a packet the evening before listing every "
            "shooting, shots-fired call with a victim, and gun arrest in Zone 3 "
            "during the previous week, with each suspect's open cases, supervision status and "
            "prior gun involvement. Each incident gets a named owner in the room.</p>"
            "<p>Gun cases involving anyone discussed at GunStat are assigned to one of two "
            "vertical prosecutors, who keep them from charging through sentencing. Pleas below "
            "the charged felony need a supervisor's sign-off and a note back to the meeting.</p>"
        ),
        steps=(
            "<ol><li>Signed a data-sharing agreement with the police department and the state "
            "probation district (four months).</li><li>Hired an analyst and built the weekly "
            "packet from the police records system and our case-management system.</li>"
            "<li>Ran a six-week pilot in the zone's two busiest beats before going zone-wide in "
            "July 2022.</li>"
            "<li>Created the vertical gun-case docket and the plea sign-off rule.</li>"
            "<li>Added a quarterly review with the research partner of every case's outcome.</li></ol>"
        ),
        staffing=(
            "<p>One full-time crime analyst (grant funded), two assistant prosecutors at 60 "
            "percent of their time, a supervising prosecutor for two hours a week, and a "
            "standing seat for a police lieutenant, a probation supervisor and a victim "
            "advocate.</p>"
        ),
        cost=(
            "<p>About $286,000 a year: $92,000 for the analyst, $164,000 for the share of "
            "prosecutor time, and $30,000 for software licences and training. The county took "
            "over the analyst position when the grant ended in 2024.</p>"
        ),
        data_and_technology=(
            "<p>Weekly extracts from the police records system and our case-management system "
            "joined on arrest number; a shared spreadsheet tracker for each discussed person; "
            "no new software beyond a dashboard the research partner built in a free tool.</p>"
        ),
        partners_text=(
            "<p>The Harlow County Police Department supplies incident data and commanders to "
            "the meeting; the state probation district flags supervised people and files "
            "violations; Missouri Valley University's criminologists designed the evaluation "
            "and chose Zones 1, 2 and 4 as the comparison; a hospital-based violence intervention programme "
            "attends monthly to connect victims with services.</p>"
        ),
        results=(
            "<p>In the years after GunStat began, non-fatal shootings in Zone 3 fell by roughly "
            "30 percent while Zones 1, 2 and 4, used as the comparison, were close to flat. The "
            "research partner's difference-in-differences analysis put the reduction at about "
            "seven shootings a month. Gun "
            "possession felonies reduced or dismissed fell from 47 to 29 percent. Homicides "
            "dropped too, but the numbers are too small to read on their own.</p>"
        ),
        lessons=(
            "<p>The packet matters more than the meeting: when the analyst was out for three "
            "weeks the meeting became a conversation about anecdotes. Keep the list of people "
            "discussed short and review it every quarter, or it grows into a list nobody uses. "
            "Tell defence counsel and the public what GunStat is; secrecy cost us trust early "
            "on.</p>"
        ),
        quote=(
            "Before GunStat I would plead a gun case on Monday and learn on Friday that the "
            "same man was a suspect in a shooting. That does not happen any more.",
            "Assistant Prosecuting Attorney, gun docket (demo)",
        ),
        partners=(
            (
                "Harlow County Police Department (demo)",
                "police",
                "Incident data; commanders attend weekly",
            ),
            (
                "State Probation and Parole, District 9 (demo)",
                "supervision",
                "Flags supervised people; files violations",
            ),
            (
                "Missouri Valley University, School of Criminology (demo)",
                "research",
                "Evaluation design and analysis",
            ),
            (
                "Harlow Health Violence Intervention Program (demo)",
                "victim_services",
                "Connects shooting victims with services",
            ),
        ),
        ratings=(
            DemoRating(
                "Non-fatal shootings",
                "nonfatal_shootings",
                "effective",
                "A difference-in-differences comparison with the county's other police zones "
                "shows a sustained drop of about 30 percent in non-fatal shootings in Zone 3.",
                D(2025, 2, 4),
            ),
        ),
        table=DemoTable(
            caption="Gun possession felonies by outcome, before and after GunStat",
            rows=(
                ("Outcome", "2020–2021", "2023–2024"),
                ("Convicted of the charged felony", "41%", "56%"),
                ("Reduced to a misdemeanour", "33%", "21%"),
                ("Dismissed", "14%", "8%"),
                ("Other or pending", "12%", "15%"),
            ),
            source="Harlow County case-management system (demo figures)",
        ),
        document=DemoDocument(
            title="GunStat weekly meeting agenda template (demo)",
            filename="gunstat-agenda-template.docx",
            description="The agenda and packet outline we use every Tuesday",
            paragraphs=(
                "GunStat weekly meeting: agenda template (fictional demo document)",
                "1. New shootings and shots-fired calls with a victim, by district (analyst, 20 minutes).",
                "2. New gun arrests: suspect history, supervision status, assigned prosecutor (20 minutes).",
                "3. Open cases of people on the discussion list: next court date, bail, risks (30 minutes).",
                "4. Dispositions since last week; any plea below the charged felony explained (10 minutes).",
                "5. Actions: owner and due date for each (10 minutes).",
            ),
        ),
        related=("nevada-gun-crime-intelligence-center",),
    ),
    DemoStrategy(
        slug="port-meridian-zone-prosecution",
        site="port-meridian-va",
        title="Zone prosecution in Port Meridian's three police precincts",
        summary=(
            "Port Meridian moved six assistant Commonwealth's Attorneys from case-type units to "
            "three geographic zones matching the police precincts, each pairing with a precinct "
            "commander and attending community meetings. Case handling improved; the effect on "
            "violent crime is not yet clear."
        ),
        types=("zone-geographic-prosecution",),
        tags=("violent felonies", "hot spots", "community meetings"),
        start_year=2022,
        status="active",
        published=D(2023, 10, 3),
        problem=(
            "<p>Port Meridian, a port city of 238,000, had 1,940 violent felony incidents in "
            "2019. Three neighbourhoods, Harbor Flats, Quarry Hill and the Eastgate corridor, "
            "accounted for 44 percent of them. Our office was organised by case type, so a "
            "robbery in Harbor Flats and a shooting two blocks away went to different units. "
            "Police commanders told us they did not know whom to call, and residents who came "
            "to precinct meetings never saw a prosecutor.</p>"
        ),
        what_we_did=(
            "<p>We split the city into three zones that match the police precincts and assigned "
            "two assistant Commonwealth's Attorneys to each. Zone prosecutors charge all "
            "felonies from their zone except homicides and sexual assaults, attend the "
            "precinct's weekly crime meeting and one community meeting a month, and keep a "
            "list of the places and chronic problems that generate the most calls.</p>"
            "<p>A shared crime analyst maps violent incidents each week so the zone teams can "
            "follow hot spots as they move.</p>"
        ),
        steps=(
            "<ol><li>Mapped two years of violent felonies to precincts with the police crime "
            "analysis unit.</li><li>Reassigned caseloads over eight weeks so no case changed "
            "hands mid-trial.</li><li>Set up a weekly zone meeting with each precinct commander."
            "</li><li>Published each zone prosecutor's name and phone number for community "
            "groups.</li></ol>"
        ),
        staffing=(
            "<p>Six assistant Commonwealth's Attorneys (existing positions), one zone "
            "coordinator and half of a crime analyst's time funded by the IPS award.</p>"
        ),
        cost=(
            "<p>$148,000 a year in new money: the coordinator ($71,000), half an analyst "
            "($48,000), and mileage, laptops and mobile phones for prosecutors working in the "
            "precincts ($29,000).</p>"
        ),
        data_and_technology=(
            "<p>Weekly incident extracts geocoded by the police department; zone flags added "
            "to our case-management system so cases route automatically.</p>"
        ),
        partners_text=(
            "<p>The Port Meridian Police Department's three precinct commanders, the city's "
            "neighbourhood services office, and Tidewater Policy Research Group, which compares "
            "the three zones with similar neighbourhoods in two nearby cities.</p>"
        ),
        results=(
            "<p>Police and community partners rate the change highly, and the share of zone "
            "cases with a prosecutor consulted before arrest rose from 6 to 31 percent. The "
            "research partner tracked non-fatal shootings in the Downtown zone, where the change "
            "started in April 2022, against the rest of the city. Shootings in the zone showed no "
            "clear change: the estimate points to a rise, but with about three a month the "
            "difference is small relative to month-to-month swings. The research partner will repeat the analysis with two more "
            "years of data.</p>"
        ),
        lessons=(
            "<p>Zones only work if they match police geography exactly; our first map cut one "
            "precinct in half and confused everyone. Protect zone prosecutors' time for "
            "meetings or the court calendar swallows it.</p>"
        ),
        quote=(
            "I have one phone number for every felony in my precinct now, and she already "
            "knows the block I am calling about.",
            "Precinct commander (demo)",
        ),
        partners=(
            (
                "Port Meridian Police Department (demo)",
                "police",
                "Precinct commanders and crime analysis",
            ),
            (
                "Port Meridian Office of Neighborhood Services (demo)",
                "community",
                "Community meeting calendar",
            ),
            ("Tidewater Policy Research Group (demo)", "research", "Comparison-area evaluation"),
        ),
        ratings=(
            DemoRating(
                "Non-fatal shootings",
                "nonfatal_shootings",
                "inconclusive",
                "Shootings in the Downtown zone showed no clear change against the rest of the "
                "city: the estimate is a rise, but at about three a month its interval runs from a "
                "fall to a large rise, too imprecise to call an effect either way.",
                D(2025, 3, 18),
            ),
        ),
    ),
    DemoStrategy(
        slug="ashford-county-violent-repeat-offenders",
        site="ashford-county-ga",
        title="Ashford County's violent repeat offender list",
        summary=(
            "The District Attorney's Office built a written, reviewed list of the people most "
            "involved in serious violence and assigned their new cases to vertical prosecutors. "
            "Violent felonies fell afterwards, but they had already been falling for two years "
            "before the list began."
        ),
        types=("violent-repeat-offender-identification",),
        tags=("violent felonies", "vertical prosecution", "bail"),
        start_year=2022,
        status="active",
        published=D(2023, 5, 22),
        problem=(
            "<p>Ashford County (population 690,000) has a violent felony docket of about 2,300 "
            "cases a year. A 2021 review of three years of arrests by our research partner found "
            "that 310 people, fewer than 1 percent of those arrested, were involved as suspects "
            "in 22 percent of shootings and armed robberies. Their new cases were spread across "
            "eleven trial teams, and bail was often argued without their history in front of "
            "the court.</p>"
        ),
        what_we_did=(
            "<p>We wrote criteria for a violent repeat offender list: two or more violent felony "
            "arrests in three years with at least one involving a firearm, or a conviction for "
            "a shooting with a new violent arrest. An analyst applies them monthly; a review "
            "panel of a senior prosecutor, a police captain and a public-defender observer "
            "checks every addition. New felony cases of listed people go to a four-person "
            "vertical team, which prepares a full history for the first bail hearing.</p>"
        ),
        steps=(
            "<ol><li>Drafted written criteria and published them on the office website.</li>"
            "<li>Built the monthly list from arrest and court records.</li><li>Set up the review "
            "panel and a removal rule: off the list after 24 months without a qualifying arrest."
            "</li><li>Created the vertical team and a flag in the case-management system.</li></ol>"
        ),
        staffing=(
            "<p>Four assistant district attorneys on the vertical team, one analyst (grant "
            "funded) and a half-time investigator.</p>"
        ),
        cost=(
            "<p>$212,000 a year in grant funds for the analyst, the investigator and training; "
            "the prosecutors are existing positions.</p>"
        ),
        data_and_technology=(
            "<p>Arrest data from three police agencies, state criminal history, and our own "
            "court records, matched by the analyst; a flag and a history report in the "
            "case-management system.</p>"
        ),
        partners_text=(
            "<p>Ashford County Police, the sheriff's office and two municipal departments share "
            "arrest data; Piedmont State University's Center for Public Safety evaluates the "
            "programme; the public defender's office observes the review panel.</p>"
        ),
        results=(
            "<p>Violent felony incidents in the North precincts, where the list was piloted in "
            "January 2022, fell about 9 percent in the two years after it began. That looked like "
            "success until our research partner plotted the five-year series against the South "
            "precincts: the decline in the North started in 2020, two years before the list, and "
            "continued at the same pace. An interrupted time series that accounts for the "
            "earlier trend finds no additional drop when the list began. Listed people's new "
            "cases were resolved faster and with fewer dismissals, which we continue to track.</p>"
        ),
        lessons=(
            "<p>A before-and-after comparison would have told us this worked. Ask your research "
            "partner for the longer series before you announce results. The review panel and "
            "the published criteria made the list defensible in court and in the press.</p>"
        ),
        quote=(
            "The numbers went down, and we almost took the credit. The chart with five years "
            "on it kept us honest.",
            "Chief Assistant District Attorney (demo)",
        ),
        partners=(
            (
                "Ashford County Police Department (demo)",
                "police",
                "Arrest data; captain on review panel",
            ),
            ("Ashford County Public Defender (demo)", "court", "Observer on the review panel"),
            (
                "Piedmont State University, Center for Public Safety (demo)",
                "research",
                "Interrupted time series evaluation",
            ),
        ),
        ratings=(
            DemoRating(
                "Violent felony incidents",
                "violent_felony_incidents",
                "no_effects",
                "The apparent drop continues a pre-existing downward trend that began two years "
                "earlier; once that trend is modelled no change is attributable to the list.",
                D(2025, 1, 27),
            ),
        ),
    ),
    DemoStrategy(
        slug="bayridge-county-witness-intimidation-unit",
        site="bayridge-county-md",
        title="Bayridge County's witness intimidation response unit",
        summary=(
            "A small unit of a prosecutor, an investigator and two victim-witness advocates "
            "contacts witnesses in violent cases within 72 hours, charges intimidation, and "
            "uses forfeiture-by-wrongdoing motions. Dismissals for witness non-appearance fell."
        ),
        types=("witness-intimidation",),
        tags=("witness intimidation", "forfeiture by wrongdoing", "victim services"),
        start_year=2021,
        status="sustained",
        published=D(2024, 6, 4),
        problem=(
            "<p>In 2020, 23 percent of violent felony cases in Bayridge County that ended in "
            "dismissal were dismissed because a witness did not appear. Advocates reported "
            "threats, social-media posts naming witnesses and visits to witnesses' homes, but "
            "only four intimidation charges were filed that year. Witnesses usually first heard "
            "from the office weeks after the arrest, by letter.</p>"
        ),
        what_we_did=(
            "<p>We created a witness intimidation response unit. Every violent felony with a "
            "civilian witness is screened at intake; an advocate calls or visits each witness "
            "within 72 hours, explains the process, and asks about threats. Reported "
            "intimidation goes to the unit's investigator and prosecutor, who charge it as a "
            "separate case where the evidence allows and file forfeiture-by-wrongdoing motions "
            "when a defendant's conduct keeps a witness away.</p>"
        ),
        steps=(
            "<ol><li>Wrote an intimidation screening checklist for intake prosecutors.</li>"
            "<li>Agreed with the sheriff on a 24-hour response to reported threats.</li>"
            "<li>Set aside a relocation fund for short hotel stays and moving costs.</li>"
            "<li>Trained all trial prosecutors on forfeiture-by-wrongdoing motions.</li>"
            "<li>Started tracking dismissals by reason every month.</li></ol>"
        ),
        staffing=(
            "<p>One assistant state's attorney, one investigator, two victim-witness advocates "
            "(one bilingual in Spanish).</p>"
        ),
        cost=(
            "<p>$341,000 a year, of which $60,000 is the relocation fund. The county funded the "
            "advocates after the second year.</p>"
        ),
        data_and_technology=(
            "<p>A dismissal-reason field made mandatory in our case-management system; a "
            "secure messaging line for witnesses.</p>"
        ),
        partners_text=(
            "<p>The Bayridge County Sheriff's Office and county police respond to reported "
            "threats; a community victim-services agency provides counselling; the Chesapeake "
            "Crime Research Consortium tracks dismissals against neighbouring counties.</p>"
        ),
        results=(
            "<p>Dismissals for witness non-appearance in violent felony cases fell from about "
            "23 to about 15 percent of dismissals over three years, and intimidation charges "
            "rose from 4 to 37 a year. Neighbouring counties, pooled as a comparison, saw no "
            "similar change. This is one office's experience over three years, so we rate it as "
            "a promising start rather than settled evidence.</p>"
        ),
        lessons=(
            "<p>The 72-hour contact is the heart of it: witnesses who heard from us early were "
            "more likely to tell us about threats. Make the dismissal reason mandatory before "
            "you start, or you will have no baseline.</p>"
        ),
        quote=(
            "She called me the day after, and she kept calling. I came to court because "
            "somebody was on my side.",
            "A witness in a 2022 shooting case (demo)",
        ),
        partners=(
            (
                "Bayridge County Sheriff's Office (demo)",
                "police",
                "24-hour response to reported threats",
            ),
            (
                "Bayridge Family Justice Center (demo)",
                "victim_services",
                "Counselling and safety planning",
            ),
            ("Chesapeake Crime Research Consortium (demo)", "research", "Dismissal-trend analysis"),
        ),
        ratings=(
            DemoRating(
                "Dismissals for witness non-appearance",
                "dismissals_witness_nonappearance",
                "promising",
                "Dismissals for witness non-appearance fell by more than 40 percent against "
                "neighbouring counties, in one site's single study.",
                D(2025, 4, 9),
            ),
        ),
        document=DemoDocument(
            title="Witness intimidation screening checklist (demo)",
            filename="witness-intimidation-checklist.txt",
            description="The checklist intake prosecutors complete on every violent felony",
            paragraphs=(
                "Witness intimidation screening checklist (fictional demo document)",
                "[ ] Civilian witness named in the police report?",
                "[ ] Witness and defendant know each other, or live on the same block?",
                "[ ] Any report of threats, contact or social-media posts since the incident?",
                "[ ] Defendant or associates have prior intimidation or obstruction charges?",
                "[ ] Advocate contact scheduled within 72 hours (date and name)?",
                "[ ] If yes to any threat question: refer to the unit investigator today.",
            ),
        ),
    ),
    DemoStrategy(
        slug="lakemont-fast-track-violation-hearings",
        site="lakemont-oh",
        title="Fast-track violation hearings for high-risk people on supervision",
        summary=(
            "Lakemont's City Prosecutor and the county adult probation department agreed to file "
            "and hear violations by high-risk people on supervision within days, not months, "
            "with a dedicated prosecutor and a weekly docket. Days from violation to hearing fell "
            "sharply."
        ),
        types=("probation-and-parole-violations",),
        tags=("probation", "parole", "violation hearings"),
        start_year=2022,
        status="active",
        published=D(2024, 9, 17),
        problem=(
            "<p>In 2021 a violation by a person on probation in Lakemont took a median of 45 "
            "days to reach a hearing. For the roughly 400 people rated high risk, that meant "
            "new arrests often came before the hearing on the old violation. Probation officers "
            "said they had stopped filing violations they expected to stall.</p>"
        ),
        what_we_did=(
            "<p>We assigned one prosecutor to violation hearings for high-risk supervisees and "
            "persuaded the municipal court to hold a weekly violation docket. Probation files "
            "violations electronically to that prosecutor, who reviews them within two business "
            "days. The hearing aims for 14 days after the violation report.</p>"
            "<p>Not every violation goes to a hearing. The prosecutor and the probation "
            "officer agree within a week whether a graduated sanction, such as more frequent "
            "reporting or a short treatment placement, fits better than a revocation request. "
            "What changed is that the decision is made quickly and in writing, so the person on "
            "supervision, the officer and the court all know where the case stands.</p>"
        ),
        steps=(
            "<ol><li>Agreed a definition of 'high risk' with the probation department (its "
            "validated risk tool).</li><li>Built an electronic violation referral form.</li>"
            "<li>Obtained a standing weekly docket from the presiding judge.</li><li>Reviewed "
            "every case over 21 days old at a monthly meeting.</li></ol>"
        ),
        staffing=(
            "<p>One assistant city prosecutor (grant funded), a paralegal at half time, and a "
            "probation supervisor as liaison.</p>"
        ),
        cost=(
            "<p>$128,000 a year: the prosecutor ($96,000), the paralegal ($28,000) and the "
            "referral form ($4,000 once).</p>"
        ),
        data_and_technology=(
            "<p>An online referral form feeding our case-management system; monthly reports of "
            "days from violation report to hearing.</p>"
        ),
        partners_text=(
            "<p>Lakemont Municipal Court Adult Probation, the municipal court, and Great Lakes "
            "Evaluation Partners, which compares Lakemont's cases with county probation cases "
            "outside the city, where nothing changed, "
            "who stayed on the ordinary docket.</p>"
        ),
        results=(
            "<p>The median time from violation report to hearing for high-risk supervisees fell "
            "from 45 days to under 30 in the first two years, while the comparison group's fell only "
            "a few days. Probation officers filed more violations. We do not yet know whether "
            "faster hearings reduce new arrests.</p>"
            "<p>Revocations did not rise: about the same share of hearings ended in revocation "
            "as before, and more ended with a graduated sanction agreed at the first hearing. "
            "Public defenders told us the faster docket also shortened the time their clients "
            "spent in jail waiting for a violation hearing.</p>"
        ),
        lessons=(
            "<p>The judge's standing docket made everything else possible. Agree on the risk "
            "definition in writing first; our first month was spent arguing about who counted.</p>"
        ),
        quote=(
            "We file now because we know somebody will look at it this week.",
            "Probation supervisor (demo)",
        ),
        partners=(
            (
                "Lakemont Municipal Court Adult Probation (demo)",
                "supervision",
                "Files violations electronically",
            ),
            ("Lakemont Municipal Court (demo)", "court", "Weekly violation docket"),
            ("Great Lakes Evaluation Partners (demo)", "research", "Comparison-group evaluation"),
        ),
        ratings=(
            DemoRating(
                "Days from violation to hearing",
                "days_violation_to_hearing",
                "promising",
                "Days from violation report to hearing fell by about a third against county "
                "probation cases outside the city, in a single site over two years.",
                D(2025, 5, 6),
            ),
        ),
    ),
    DemoStrategy(
        slug="nevada-digital-evidence-unit",
        site="nevada-statewide",
        title="A statewide digital evidence and cybercrime unit for rural prosecutors",
        summary=(
            "Nevada's statewide unit gives small and rural prosecutors' offices a cybercrime "
            "prosecutor, two forensic examiners and warrant templates for phones, cloud accounts "
            "and social media, cutting the wait for a forensic report from months to weeks."
        ),
        types=("cybercrime",),
        tags=("digital evidence", "online exploitation", "rural prosecution"),
        start_year=2022,
        status="active",
        published=D(2024, 1, 30),
        problem=(
            "<p>Fourteen of Nevada's seventeen county prosecutors' offices have fewer than ten "
            "attorneys, and none had a digital forensic examiner. In 2021 the state crime lab's "
            "backlog for phone extractions was 7 months. Online exploitation and fraud cases "
            "from rural counties were declined or pleaded down because the evidence could not "
            "be read in time.</p>"
        ),
        what_we_did=(
            "<p>We set up a statewide unit that any county office can call. A cybercrime "
            "prosecutor advises on warrants and charging, two forensic examiners extract and "
            "review phones and computers, and a template library covers the warrants and "
            "preservation letters most cases need. The unit prosecutes cases itself when a "
            "county asks.</p>"
            "<p>Requests arrive through a secure portal. The unit triages them within two "
            "business days: cases with a trial date or a child victim go first, then cases "
            "where a suspect is in custody. Each county gets a named examiner and a target date, "
            "and the prosecutor advising on the case reviews the extraction report before it "
            "goes back, so the county receives evidence it can use rather than a raw data dump."
            "</p>"
        ),
        steps=(
            "<ol><li>Signed memoranda of understanding with 14 county offices.</li><li>Bought "
            "forensic hardware and licences and trained two examiners.</li><li>Wrote 22 warrant "
            "and preservation templates.</li><li>Started a monthly online training for rural "
            "prosecutors and investigators.</li></ol>"
        ),
        staffing=(
            "<p>One senior deputy attorney general, two forensic examiners, one paralegal.</p>"
        ),
        cost=(
            "<p>$455,000 in the first year including $110,000 of equipment; about $350,000 a "
            "year after.</p>"
        ),
        data_and_technology=(
            "<p>Commercial mobile forensic tools, a secure evidence-transfer portal, and a case "
            "log of requests and turnaround times.</p>"
        ),
        partners_text=(
            "<p>Fourteen county prosecutors' offices, the state crime laboratory, sheriff's "
            "offices in the participating counties, and the Sierra Institute for Justice "
            "Research.</p>"
        ),
        results=(
            "<p>The median time from request to forensic report fell from about 7 months at the "
            "state lab to 5 weeks. The unit took 212 requests in its first two years. Whether "
            "this changes case outcomes is not yet measured.</p>"
            "<p>County offices also report fewer declined cases: before the unit, rural "
            "prosecutors declined or deferred roughly one online exploitation referral in three "
            "for lack of forensic support; in the second year they declined about one in eight. "
            "These are the offices' own counts and have not been checked against court "
            "records.</p>"
        ),
        lessons=(
            "<p>Rural offices need the templates as much as the examiners. Budget for "
            "licence renewals; they cost more than we expected.</p>"
        ),
        quote=(
            "For the first time, a phone seized in our county gets read before the trial date.",
            "Elected district attorney of a rural county (demo)",
        ),
        partners=(
            ("Nevada county prosecutors' offices (14, demo)", "other", "Refer cases; co-counsel"),
            ("State crime laboratory (demo)", "police", "Hands off phone extractions"),
            (
                "Sierra Institute for Justice Research (demo)",
                "research",
                "Turnaround-time tracking",
            ),
        ),
        ratings=(
            DemoRating(
                "Time to forensic report",
                "",
                "not_rated",
                "Turnaround has been tracked but no outcome evaluation has been completed yet.",
                D(2025, 2, 11),
            ),
        ),
    ),
    DemoStrategy(
        slug="nevada-gun-crime-intelligence-center",
        site="nevada-statewide",
        title="A statewide gun crime intelligence partnership",
        summary=(
            "Statewide prosecutors joined a gun crime intelligence centre with state and local "
            "police to link shootings through ballistic evidence and bring the people behind "
            "linked shootings to one prosecutor."
        ),
        types=("gun-violence-crime-analysis-gunstat", "intelligence-driven-prosecution"),
        tags=("ballistic evidence", "NIBIN", "non-fatal shootings"),
        start_year=2022,
        status="active",
        published=D(2025, 2, 25),
        problem=(
            "<p>Shootings in Nevada's two largest metropolitan areas are often linked by "
            "ballistic evidence across city and county lines, but the leads arrived weeks late "
            "and went to whichever agency had the casing. In 2021 fewer than one in five "
            "ballistic leads was followed up within 30 days.</p>"
        ),
        what_we_did=(
            "<p>Our unit placed a prosecutor and an analyst in the state's crime gun intelligence "
            "centre. Every ballistic lead is reviewed within 48 hours; linked shootings are "
            "assigned to one investigator and one prosecutor across jurisdictions; and a "
            "monthly meeting reviews the people tied to three or more linked incidents.</p>"
            "<p>The prosecutor at the centre does not take every case. Her job is to make sure "
            "that when linked shootings cross a city or county line, one office owns the "
            "prosecution, the warrants are written with the whole series in mind, and the "
            "defendant's other cases are known at bail and at plea. When a local office keeps "
            "a case, the centre sends it a one-page summary of the linked incidents.</p>"
        ),
        steps=(
            "<ol><li>Agreed a 48-hour lead review standard with the participating agencies.</li>"
            "<li>Gave the unit statewide concurrent jurisdiction for linked cases by MOU.</li>"
            "<li>Built a shared lead tracker.</li></ol>"
        ),
        staffing="<p>One deputy attorney general and one analyst, full time at the centre.</p>",
        cost="<p>$231,000 a year.</p>",
        data_and_technology=(
            "<p>Ballistic imaging leads, a shared lead tracker, and police records from five "
            "agencies.</p>"
        ),
        partners_text=(
            "<p>State police, two metropolitan police departments, the federal firearms agency's "
            "regional office, and the Sierra Institute for Justice Research.</p>"
        ),
        results=(
            "<p>Leads reviewed within 30 days rose from under 20 to over 85 percent. 41 "
            "linked-shooting cases were charged in the first two years. The effect on shootings "
            "has not been evaluated.</p>"
            "<p>Time from a ballistic lead to an arrest in linked cases fell from a median of "
            "94 days to 37. The Sierra Institute for Justice Research is assembling monthly "
            "shooting counts for the two metropolitan areas and comparable cities elsewhere in "
            "the West so that the effect on shootings can be estimated with a comparison.</p>"
        ),
        lessons=(
            "<p>Concurrent jurisdiction by agreement avoided months of arguing over venue. "
            "Leads are only useful if someone owns them the day they arrive.</p>"
        ),
        quote=(
            "Three shootings in two cities, one gun, one prosecutor. That used to be three "
            "files in three offices.",
            "Unit analyst (demo)",
        ),
        partners=(
            ("Nevada State Police (demo)", "police", "Hosts the intelligence centre"),
            ("Two metropolitan police departments (demo)", "police", "Investigators at the centre"),
            (
                "Sierra Institute for Justice Research (demo)",
                "research",
                "Lead-timeliness analysis",
            ),
        ),
        ratings=(
            DemoRating(
                "Gun violent felony cases filed",
                "gun_violent_felony_cases_filed",
                "inconclusive",
                "Filings in the Clark region showed no clear change against the Washoe region "
                "after the centre opened in October 2022: the estimate is a small rise, but its "
                "interval includes a fall, and the time-series model points the other way.",
                D(2025, 5, 20),
            ),
        ),
        related=("harlow-county-gunstat",),
    ),
    DemoStrategy(
        slug="red-cedar-community-prosecution",
        site="red-cedar-nation",
        title="Community prosecution in the Red Cedar Nation's three districts",
        summary=(
            "The Red Cedar Nation's tribal prosecutor holds office hours in each district's "
            "community centre, works with elders and the tribal police on repeat disturbances, "
            "and uses peacemaking referrals alongside charges."
        ),
        types=("community-prosecution",),
        tags=("tribal justice", "peacemaking", "domestic violence"),
        start_year=2022,
        status="active",
        published=D(2023, 12, 5),
        problem=(
            "<p>The Nation's 21,500 citizens live across three districts up to 70 miles from the "
            "tribal court. In 2021 the tribal police answered 2,900 calls for service, a third "
            "of them at 60 addresses. Most residents had never met the prosecutor, and many "
            "victims would not travel to the court building to give a statement.</p>"
        ),
        what_we_did=(
            "<p>The prosecutor and a victim advocate now spend one day a week in each district's "
            "community centre. They meet residents, take statements, and meet monthly with the "
            "tribal police and a council of elders to agree a plan for the addresses that "
            "generate repeat calls: charges where needed, referrals to peacemaking, treatment "
            "or housing help where those fit better.</p>"
            "<p>Cases involving domestic violence stay with the prosecutor and the advocate "
            "from the first statement to disposition, and the advocate helps victims with "
            "protection orders in tribal court without a trip to the court building. Elders "
            "are never asked to take part in cases involving their own families.</p>"
        ),
        steps=(
            "<ol><li>Asked each district's elders' council to host office hours.</li><li>Set up "
            "secure video statements from the community centres.</li><li>Agreed referral "
            "criteria for peacemaking with the tribal court.</li><li>Started a monthly "
            "problem-address meeting.</li></ol>"
        ),
        staffing="<p>The tribal prosecutor, one deputy prosecutor and one victim advocate.</p>",
        cost=(
            "<p>$164,000 a year, mostly the deputy prosecutor and travel; video equipment "
            "$18,000 once.</p>"
        ),
        data_and_technology=(
            "<p>Calls for service by address from the tribal police; a simple shared log of "
            "problem addresses and actions.</p>"
        ),
        partners_text=(
            "<p>The Red Cedar Nation Police, the tribal court's peacemaking programme, district "
            "elders' councils, the Nation's behavioural health department, and the Prairie "
            "Tribal Justice Research Collaborative.</p>"
        ),
        results=(
            "<p>Calls for service at the 60 most frequent addresses fell from 960 to 690 a year "
            "in the second year. Victim statements taken in the districts rose from 12 to 85 a "
            "year. The research partner has not yet compared these with other tribal "
            "communities.</p>"
            "<p>Domestic violence cases in which the victim took part through to disposition "
            "rose from about four in ten to six in ten. The Nation's council has made the "
            "deputy prosecutor position permanent from tribal funds.</p>"
        ),
        lessons=(
            "<p>Office hours built trust only once residents saw the same person every week. "
            "Elders' involvement made peacemaking referrals credible to victims.</p>"
        ),
        quote=(
            "People talk to you when you come to them and keep coming.",
            "Tribal Prosecutor (demo)",
        ),
        partners=(
            (
                "Red Cedar Nation Police Department (demo)",
                "police",
                "Calls-for-service data; monthly meeting",
            ),
            ("Red Cedar Nation Peacemaking Program (demo)", "court", "Receives referrals"),
            ("District elders' councils (demo)", "community", "Host office hours; advise on plans"),
            ("Prairie Tribal Justice Research Collaborative (demo)", "research", "Evaluation"),
        ),
        ratings=(
            DemoRating(
                "Victim service contacts",
                "victim_service_contacts",
                "promising",
                "Contacts with victims rose about a quarter against a neighbouring county after "
                "district office hours began, in a single site.",
                D(2025, 5, 20),
            ),
        ),
    ),
    DemoStrategy(
        slug="third-district-homicide-scene-response",
        site="third-district-co",
        title="Prosecutors at the homicide scene, from the first hour",
        summary=(
            "In the 23rd Judicial District a homicide prosecutor responds to every homicide "
            "scene, advises detectives on warrants and digital evidence from the start, and "
            "keeps the case through trial; a monthly cold-case review adds fresh eyes."
        ),
        types=("homicide-investigations",),
        tags=("homicide", "cold cases", "search warrants"),
        start_year=2021,
        status="sustained",
        published=D(2023, 7, 11),
        problem=(
            "<p>The district's 540,000 residents saw 38 homicides in 2019, and 42 percent were "
            "not cleared within a year. Prosecutors first saw most homicide files weeks after "
            "the arrest, by which time warrant mistakes and missed digital evidence could not "
            "be fixed. Forty-six cases sat unsolved from the previous decade.</p>"
        ),
        what_we_did=(
            "<p>Two homicide prosecutors share an on-call rota and respond to every homicide "
            "scene within two hours. They advise on warrants, phone and video preservation and "
            "interviews, and keep the case through trial. Once a month a cold-case panel of a "
            "prosecutor, a detective, an analyst and a retired investigator reviews two "
            "unsolved cases.</p>"
            "<p>The prosecutor at the scene does not direct the investigation; detectives do. "
            "The prosecutor's job is to spot legal problems early: a consent search that should "
            "be a warrant, a phone that needs a preservation letter today, a witness who should "
            "be recorded before they are pressured. Families meet the prosecutor who will try "
            "the case within a week of the homicide.</p>"
        ),
        steps=(
            "<ol><li>Agreed a call-out protocol with the three police agencies.</li><li>Built a "
            "warrant and preservation checklist for the first 48 hours.</li><li>Started the "
            "monthly cold-case review.</li></ol>"
        ),
        staffing=(
            "<p>Two homicide prosecutors on call (existing positions), an analyst (grant funded) "
            "and a retired investigator paid per review.</p>"
        ),
        cost="<p>$119,000 a year, mostly the analyst and on-call pay.</p>",
        data_and_technology=(
            "<p>A shared case tracker with the police; a video-canvass map the analyst keeps.</p>"
        ),
        partners_text=(
            "<p>Two city police departments and the sheriff's office, the coroner, and the "
            "Front Range Justice Lab.</p>"
        ),
        results=(
            "<p>Homicides cleared within a year rose from 58 to 71 percent over three years, and "
            "the cold-case panel produced charges in 3 of 36 reviewed cases. With only about 40 "
            "homicides a year, these changes are within the range chance alone could produce.</p>"
            "<p>Suppression motions granted in homicide cases fell from five in the three years "
            "before to one in the three years after, and every homicide case filed in the "
            "period had a preservation request for phones and video sent within 48 hours.</p>"
        ),
        lessons=(
            "<p>On-call rotas burn people out; two prosecutors is the minimum. The first-48-hours "
            "checklist is the piece other offices ask us for most.</p>"
        ),
        quote=(
            "The warrant gets written right the first time when the lawyer is standing in the "
            "street with you.",
            "Homicide detective sergeant (demo)",
        ),
        partners=(
            (
                "23rd District police agencies (3, demo)",
                "police",
                "Call-out protocol; joint case tracker",
            ),
            ("District coroner (demo)", "other", "Scene coordination"),
            ("Front Range Justice Lab (demo)", "research", "Clearance-rate analysis"),
        ),
        ratings=(
            DemoRating(
                "Homicide clearance within one year",
                "",
                "inconclusive",
                "Clearance rose, but with about 40 homicides a year the change is within what "
                "chance alone could produce.",
                D(2025, 3, 4),
            ),
            DemoRating(
                "Homicides",
                "homicides",
                "inconclusive",
                "Homicides fell slightly in the sector served first against the rest of the "
                "district, but at about two a month the change is within chance.",
                D(2025, 3, 4),
            ),
        ),
        related=("bayridge-county-cold-case-review",),
    ),
    DemoStrategy(
        slug="third-district-intelligence-unit",
        site="third-district-co",
        title="An intelligence-driven prosecution unit for the 23rd Judicial District",
        summary=(
            "An analyst-supported unit gathers what is known about the people and groups driving "
            "violence, from debriefings, police intelligence and case files, and briefs "
            "charging and bail prosecutors before decisions are made."
        ),
        types=("intelligence-driven-prosecution",),
        tags=("debriefings", "group violence", "bail"),
        start_year=2021,
        status="active",
        published=D(2024, 4, 23),
        problem=(
            "<p>Knowledge about violent groups sat in individual prosecutors' heads and in "
            "detectives' notebooks. Charging decisions for people central to group violence "
            "were made with the same information as any other case. In 2020, 30 percent of "
            "people later charged with a shooting had been released on a prior violent case "
            "without the bail prosecutor knowing their group ties.</p>"
        ),
        what_we_did=(
            "<p>We created an intelligence-driven prosecution unit: one prosecutor and two "
            "analysts who collect information from proffers and debriefings, police "
            "intelligence bulletins and our own case files, and maintain profiles of active "
            "groups. Charging and bail prosecutors receive a one-page brief whenever a "
            "defendant is linked to an active group.</p>"
            "<p>Briefs state what is known, where it comes from, and how sure the analysts are. "
            "They never go to the court or defence as evidence; they inform the prosecutor's "
            "decisions, and anything used in court is proved the ordinary way. Every access to "
            "a profile is logged, and profiles of people with no new information in two years "
            "are deleted.</p>"
        ),
        steps=(
            "<ol><li>Wrote a policy on what may be recorded, for how long, and who may see it."
            "</li><li>Trained trial prosecutors to debrief consistently.</li><li>Linked the "
            "unit's briefs to the case-management system.</li></ol>"
        ),
        staffing="<p>One deputy district attorney and two intelligence analysts.</p>",
        cost="<p>$276,000 a year.</p>",
        data_and_technology=(
            "<p>A restricted-access profile database with an audit log, and a brief template.</p>"
        ),
        partners_text=(
            "<p>The district's police agencies share intelligence bulletins; the state "
            "fusion centre assists with analysis; the Front Range Justice Lab reviews the "
            "policy every year.</p>"
        ),
        results=(
            "<p>The unit produced 640 briefs in two years. Prosecutors report using them in most "
            "bail arguments for linked defendants. No outcome evaluation has been done yet.</p>"
            "<p>An internal audit of 100 briefs found 7 with a link the analysts could not "
            "re-verify; those briefs were corrected and the verification step was made "
            "mandatory. The research partner is designing a study of re-arrest among released "
            "defendants with and without briefs.</p>"
        ),
        lessons=(
            "<p>Write the retention and access policy before collecting anything. Analysts need "
            "time to verify; a wrong link in a bail brief does real harm.</p>"
        ),
        quote=(
            "The brief tells me in a page what used to take a week of phone calls.",
            "Bail-hearing prosecutor (demo)",
        ),
        partners=(
            ("23rd District police agencies (3, demo)", "police", "Share intelligence bulletins"),
            ("State fusion centre (demo)", "police", "Analytical support"),
            ("Front Range Justice Lab (demo)", "research", "Annual policy review"),
        ),
    ),
    DemoStrategy(
        slug="bayridge-county-cold-case-review",
        site="bayridge-county-md",
        title="A cold-case homicide review with victims' families at the centre",
        summary=(
            "Bayridge County pairs a prosecutor, a detective and a family liaison to re-examine "
            "unsolved homicides with new forensic testing, and keeps families informed at every "
            "step."
        ),
        types=("homicide-investigations",),
        tags=("cold cases", "homicide", "DNA testing"),
        start_year=2022,
        status="active",
        published=D(2024, 11, 19),
        problem=(
            "<p>Bayridge County has 212 unsolved homicides since 1990. Families told us they had "
            "not heard from anyone in years. Evidence from many cases had never been tested "
            "with current DNA methods.</p>"
        ),
        what_we_did=(
            "<p>A cold-case team reviews four cases a month, chosen by the evidence available "
            "for new testing. A family liaison contacts each family before review begins and "
            "after each decision.</p>"
            "<p>Each review follows the same steps: the detective summarises the file, the "
            "prosecutor identifies what would be needed to charge, and the team lists the "
            "evidence that could be tested with methods unavailable at the time, such as "
            "low-level DNA profiles or genetic genealogy, which we use only under the state's "
            "court-authorisation rules. Cases with no testable evidence are still reviewed "
            "for witnesses who may now be willing to speak.</p>"
        ),
        steps=(
            "<ol><li>Inventoried evidence for all 212 cases with the police property room.</li>"
            "<li>Ranked cases by testable evidence.</li><li>Contracted with an accredited lab "
            "for DNA and genealogy work.</li></ol>"
        ),
        staffing=(
            "<p>One assistant state's attorney at half time, one detective, one family liaison.</p>"
        ),
        cost="<p>$198,000 a year including $70,000 of laboratory testing.</p>",
        data_and_technology="<p>An evidence inventory database and a case-review log.</p>",
        partners_text=(
            "<p>Bayridge County Police, the state forensic laboratory and a private accredited "
            "lab, and a survivors' support group.</p>"
        ),
        results=(
            "<p>In two years the team reviewed 88 cases, sent evidence for testing in 51, and "
            "charged 5. Every family of a reviewed case was contacted.</p>"
            "<p>Testing identified a suspect profile in 9 cases; in 4 of them the suspect had "
            "died. Families told the liaison that knowing this mattered to them even without a "
            "prosecution. Two of the five charged cases have gone to trial, both ending in "
            "convictions.</p>"
        ),
        lessons=(
            "<p>Inventory the evidence first; a third of our files pointed to evidence that "
            "could not be found.</p>"
            "<p>The family liaison is not optional. Families who had been let down before were "
            "wary, and a single named person who called back every time changed that more than "
            "any result did. Budget for laboratory costs rising as cases move to genealogy.</p>"
        ),
        quote=(
            "Nobody had called us in eleven years. Now someone calls every month, even when "
            "there is nothing new.",
            "Family member of a homicide victim (demo)",
        ),
        partners=(
            ("Bayridge County Police Department (demo)", "police", "Cold-case detective"),
            ("Survivors of Homicide Support Group (demo)", "community", "Family support"),
        ),
        ratings=(
            DemoRating(
                "Cold cases charged",
                "",
                "not_rated",
                "Five charges in two years is too few to rate; review continues.",
                D(2025, 4, 9),
            ),
        ),
        related=("third-district-homicide-scene-response",),
    ),
    DemoStrategy(
        slug="lakemont-neighborhood-prosecutors",
        site="lakemont-oh",
        title="Neighbourhood prosecutors on Lakemont's west side",
        summary=(
            "Two Lakemont city prosecutors work from a west-side police substation, take "
            "misdemeanour and nuisance cases from four neighbourhoods, and use civil abatement "
            "and diversion alongside charges for the properties that generate repeat calls."
        ),
        types=("community-prosecution", "zone-geographic-prosecution"),
        tags=("nuisance abatement", "diversion", "misdemeanours"),
        start_year=2023,
        status="planning",
        published=D(2025, 6, 10),
        problem=(
            "<p>Four west-side neighbourhoods with 38,000 residents produced 31 percent of "
            "Lakemont's misdemeanour violence and weapons cases in 2022, and 25 properties "
            "accounted for 1,100 police calls. Misdemeanour cases were handled in an "
            "arraignment-room rush with no knowledge of the places involved.</p>"
        ),
        what_we_did=(
            "<p>We are placing two prosecutors at the west-side police substation. They take all "
            "misdemeanour violence, weapons and nuisance cases from the four neighbourhoods, "
            "meet block clubs monthly, and bring civil nuisance actions against owners of the "
            "worst properties when other approaches fail.</p>"
            "<p>Before any civil action, owners receive a letter listing the calls to their "
            "property, an invitation to meet the prosecutor and the police district's problem-"
            "solving officer, and a list of the repairs, lighting or management changes that "
            "have worked elsewhere. Tenants are told about the process and about legal aid, so "
            "that abatement does not simply push families out of their homes.</p>"
            "<p>Low-level cases from the four neighbourhoods will be screened for diversion at "
            "charging, with restorative conferences for neighbours in conflict and referrals "
            "to treatment for people whose cases are driven by addiction or mental illness.</p>"
        ),
        steps=(
            "<ol><li>Mapped calls by property with the police department.</li><li>Agreed "
            "diversion criteria with the municipal court.</li><li>Drafted a nuisance-abatement "
            "notice template.</li></ol>"
        ),
        staffing="<p>Two assistant city prosecutors and a community liaison (planned).</p>",
        cost="<p>$210,000 a year (budgeted).</p>",
        data_and_technology="<p>Calls-for-service by property; a shared action log.</p>",
        partners_text=(
            "<p>Lakemont Police Department's West District, the city's building and housing "
            "department, four block clubs and a diversion provider.</p>"
        ),
        results=(
            "<p>The programme is still starting. We will report calls at the 25 properties and "
            "misdemeanour case outcomes each year.</p>"
            "<p>Great Lakes Evaluation Partners will compare the four neighbourhoods with four "
            "similar east-side neighbourhoods using monthly calls for service and misdemeanour "
            "filings, starting with twelve months of baseline data collected before the "
            "prosecutors moved.</p>"
        ),
        lessons=(
            "<p>Too early for lessons on outcomes; the block clubs asked for the prosecutors' "
            "phone numbers before anything else.</p>"
        ),
        quote=(
            "We have waited a long time for someone downtown to know our street by name.",
            "Block club president (demo)",
        ),
        partners=(
            (
                "Lakemont Police Department, West District (demo)",
                "police",
                "Substation space and data",
            ),
            ("Lakemont Department of Building and Housing (demo)", "other", "Code enforcement"),
            ("West Side Block Club Coalition (demo)", "community", "Monthly meetings"),
        ),
        related=("red-cedar-community-prosecution", "port-meridian-zone-prosecution"),
    ),
    DemoStrategy(
        slug="kessler-county-shooting-review",
        site="kessler-county-il",
        title="Kessler County's biweekly shooting review",
        summary=(
            "Every two weeks Kessler County's gun unit, the two largest police departments and "
            "adult probation go through each shooting in Districts 2 and 5, name the people "
            "most likely to shoot or be shot next, and agree who follows up with each of them."
        ),
        types=("gun-violence-crime-analysis-gunstat",),
        tags=("non-fatal shootings", "shooting review", "probation"),
        start_year=2022,
        status="active",
        published=D(2025, 3, 18),
        problem=(
            "<p>Two of the county's seven police districts held a fifth of its residents and "
            "more than half of its non-fatal shootings in 2021. Cases were charged one at a "
            "time; nobody put the shootings, the people on probation and the open gun cases "
            "side by side.</p>"
        ),
        what_we_did=(
            "<p>From March 2022 an assistant state's attorney chairs a review every second "
            "Tuesday. An analyst brings a one-page brief on each shooting since the last "
            "meeting: the victim's and suspects' open cases, supervision status and known "
            "disputes. The meeting ends with a named owner for every follow-up.</p>"
            "<p>Follow-ups are practical: a probation officer visits a young man whose "
            "cousin was shot the week before, a detective re-interviews a witness who stopped "
            "answering calls, a prosecutor asks for a bail review when a defendant on release "
            "is named in a new shooting. The analyst tracks each follow-up to its close and "
            "opens the next meeting with the ones still open, so nothing agreed is forgotten "
            "between sessions. Victim advocates attend for the first half hour and leave before "
            "any discussion of suspects.</p>"
            "<p>The review does not change charging standards. Its aim is that the people and "
            "disputes behind the next shooting are known to every agency at the table.</p>"
        ),
        steps=(
            "<ol><li>Signed a data-sharing agreement with both police departments and "
            "probation.</li><li>Hired a crime analyst.</li><li>Set a two-week cycle and a "
            "standard brief.</li></ol>"
        ),
        staffing="<p>One assistant state's attorney (half time) and one analyst.</p>",
        cost="<p>$148,000 a year.</p>",
        data_and_technology=(
            "<p>Police incident extracts, the prosecutor's case system and probation rosters, "
            "joined weekly in a spreadsheet the analyst maintains.</p>"
        ),
        partners_text=(
            "<p>Two police departments, adult probation and Prairie State University's Crime "
            "Lab for Public Policy, which evaluates the review.</p>"
        ),
        results=(
            "<p>Non-fatal shootings in Districts 2 and 5 fell after the review began, by more "
            "than in the county's other districts; the published analyses give the size and "
            "its uncertainty.</p>"
        ),
        lessons=(
            "<p>The brief matters more than the meeting: without it the review turns into "
            "anecdotes. Probation's presence changed which follow-ups were possible.</p>"
        ),
        quote=(
            "For the first time the person on probation and the shooting on his block were on "
            "the same page.",
            "Gun unit supervisor (demo)",
        ),
        partners=(
            ("Kessler City Police Department (demo)", "police", "Incident data and detectives"),
            ("Kessler County Adult Probation (demo)", "supervision", "Supervision status"),
            (
                "Prairie State University, Crime Lab for Public Policy (demo)",
                "research",
                "Evaluation",
            ),
        ),
        related=("harlow-county-gunstat",),
    ),
    DemoStrategy(
        slug="dunmore-county-gun-crime-intelligence",
        site="dunmore-county-tx",
        title="Dunmore County's gun crime intelligence meeting",
        summary=(
            "Dunmore County's prosecutors meet sheriff's and city investigators monthly to "
            "review gun cases on the county's east side, using debriefings and ballistic leads "
            "to decide which cases get a dedicated prosecutor from arrest to verdict."
        ),
        types=("gun-violence-crime-analysis-gunstat", "intelligence-driven-prosecution"),
        tags=("non-fatal shootings", "ballistic evidence", "debriefings"),
        start_year=2021,
        status="active",
        published=D(2025, 1, 28),
        problem=(
            "<p>Gun cases on the east side were spread across eleven trial teams, and "
            "information from debriefings rarely reached the prosecutor who later charged the "
            "same people.</p>"
        ),
        what_we_did=(
            "<p>Since September 2021 a monthly meeting of prosecutors, sheriff's investigators "
            "and city detectives reviews east-side gun cases with the intelligence analyst's "
            "summary of debriefings and ballistic leads. Cases linked to active groups go to "
            "two prosecutors who keep them from arrest to verdict.</p>"
            "<p>The analyst's summary is short: for each case, the people involved, the groups "
            "they are tied to in debriefings, any ballistic links to other shootings and the "
            "status of every open case against them. The two dedicated prosecutors use it at "
            "bail hearings and plea talks, and they meet the investigators on their cases each "
            "week rather than at trial. Debriefing notes never leave the analyst's secure "
            "folder; the summary names the source of each fact only by type.</p>"
            "<p>The office also changed how it measures the work. It now counts, each month, "
            "gun cases charged on the east side, the share assigned to the dedicated "
            "prosecutors, time from arrest to indictment, and non-fatal shootings in the east "
            "and west sides of the county, which the Gulf Coast Justice Research Center "
            "compares.</p>"
        ),
        steps=(
            "<ol><li>Created the intelligence analyst post.</li><li>Agreed which cases are "
            "assigned to the two dedicated prosecutors.</li></ol>"
        ),
        staffing="<p>Two assistant district attorneys and one intelligence analyst.</p>",
        cost="<p>$265,000 a year.</p>",
        data_and_technology="<p>Debriefing notes, ballistic leads and case records.</p>",
        partners_text=(
            "<p>The sheriff's office, the Dunmore City police and the Gulf Coast Justice "
            "Research Center.</p>"
        ),
        results=(
            "<p>Gun cases reach one prosecutor faster. Whether east-side shootings changed is "
            "shown by the published analyses, against the west side.</p>"
        ),
        lessons=(
            "<p>Keep the meeting small; the first sessions had forty people and no decisions. "
            "Agree early which cases the dedicated prosecutors take, or every team will try to "
            "hand them its hardest files. An intelligence meeting is not an evaluation: the "
            "monthly counts and a comparison area had to be planned from the start.</p>"
        ),
        quote=(
            "The same six names came up in every debriefing; now the same prosecutor hears them.",
            "Intelligence analyst (demo)",
        ),
        partners=(
            ("Dunmore County Sheriff's Office (demo)", "police", "Investigators"),
            ("Gulf Coast Justice Research Center (demo)", "research", "Evaluation"),
        ),
        related=("nevada-gun-crime-intelligence-center",),
    ),
)
