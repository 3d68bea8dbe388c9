"""Seed the strategy types the IPS program already knows; BJA staff add more in the admin."""

from django.db import migrations

STRATEGY_TYPES = [
    (
        "violent-repeat-offender-identification",
        "Violent repeat offender identification",
        "A small number of people drive a large share of serious violence. Offices using this "
        "approach build a transparent list or score from prior violent arrests, gun cases, "
        "victimisation and network ties, review it with police and supervision partners, and "
        "flag new cases involving listed people for vertical prosecution, informed bail "
        "arguments and coordinated attention. Good practice includes written criteria, regular "
        "removal of people who no longer meet them, and checks for disparate impact.",
    ),
    (
        "zone-geographic-prosecution",
        "Zone / geographic prosecution",
        "Assistant prosecutors are assigned to neighbourhoods or police districts rather than to "
        "case types. They learn the places, the commanders and the community organisations, "
        "attend roll calls and community meetings, and follow crime-analysis hot spots, so cases "
        "from their zone are charged with local knowledge and chronic problems get a prosecutor "
        "who owns them.",
    ),
    (
        "gun-violence-crime-analysis-gunstat",
        "Gun violence crime analysis (GunStat)",
        "Modelled on CompStat: prosecutors, police, probation and analysts meet weekly or monthly "
        "to review every shooting and gun case, identify the people and groups pulling triggers, "
        "track gun recoveries and follow each case to disposition, so that no gun case is "
        "pleaded down or dismissed without the office knowing who the defendant is.",
    ),
    (
        "witness-intimidation",
        "Witness intimidation",
        "Policies and dedicated units that treat intimidation as a crime to charge, not a reason "
        "to dismiss: early victim-witness contact, protective orders and relocation, "
        "forfeiture-by-wrongdoing motions so statements can be used when a witness is kept away, "
        "and tracking of dismissals for witness non-appearance as a performance measure.",
    ),
    (
        "probation-and-parole-violations",
        "Probation and parole violations",
        "Joint work with supervision agencies so that violations by high-risk people on "
        "probation or parole are filed, reviewed and heard quickly, with a prosecutor assigned "
        "to violation hearings and shared data on who is under supervision.",
    ),
    (
        "homicide-investigations",
        "Homicide investigations",
        "Prosecutors join homicide investigations from the scene onward, advising on warrants, "
        "digital evidence and witness interviews, and review unsolved cases with detectives and "
        "analysts in structured cold-case reviews.",
    ),
    (
        "cybercrime",
        "Cybercrime",
        "Digital-evidence units and specialised prosecutors for online exploitation, fraud and "
        "cyber-enabled violence, with the training, forensic tools and warrant templates that "
        "make electronic evidence usable in court.",
    ),
    (
        "community-prosecution",
        "Community prosecution",
        "Prosecutors work with residents, businesses and service providers on the problems that "
        "generate crime in a place, using civil remedies, nuisance abatement, diversion and "
        "problem-solving partnerships alongside traditional charging.",
    ),
    (
        "intelligence-driven-prosecution",
        "Intelligence-driven prosecution",
        "An analyst-supported unit collects information from debriefings, police intelligence "
        "and case files on the people and groups driving crime, and shares it across the office "
        "so charging, bail and plea decisions reflect what is known about them.",
    ),
]


def seed(apps, schema_editor):
    StrategyType = apps.get_model("strategies", "StrategyType")
    for slug, name, description in STRATEGY_TYPES:
        StrategyType.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )


class Migration(migrations.Migration):
    dependencies = [("strategies", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
