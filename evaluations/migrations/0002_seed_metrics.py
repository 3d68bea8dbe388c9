"""Seed the metric catalogue every environment needs (not only demo): what IPS sites report.

The list is frozen here on purpose: later edits by BJA staff happen in the admin, and a
migration must not change meaning when app code changes.
"""

from django.db import migrations

# code, name, category, unit_kind, rate_base, direction, aggregation, suppress,
# Justice Counts metric, PPI indicator, description
METRICS = [
    ("homicides", "Homicides", "violence", "count", None, "decrease", "sum", True, "", "",
     "Criminal homicides known to police in the area and period."),
    ("nonfatal_shootings", "Non-fatal shootings", "violence", "count", None, "decrease", "sum",
     True, "", "", "Shooting incidents with at least one person injured and no one killed."),
    ("shots_fired_calls", "Shots-fired calls for service", "violence", "count", None,
     "decrease", "sum", False, "", "", "Calls for service reporting gunshots."),
    ("gun_recoveries", "Crime guns recovered", "violence", "count", None, "increase", "sum",
     False, "", "", "Firearms recovered by police in connection with a crime."),
    ("violent_felony_incidents", "Violent felony incidents", "violence", "count", None,
     "decrease", "sum", True, "", "", "Murder, rape, robbery and aggravated assault incidents."),
    ("violent_crime_rate", "Violent crime rate", "violence", "rate", 100000, "decrease",
     "mean", False, "", "PPI 30", "Violent crimes per 100,000 residents."),
    ("gun_violent_felony_cases_filed", "Gun-related violent felony cases filed",
     "case_processing", "count", None, "increase", "sum", True, "Cases prosecuted", "",
     "Violent felony cases involving a firearm that the office filed in court."),
    ("violent_repeat_offenders_charged", "Violent repeat offenders charged", "case_processing",
     "count", None, "increase", "sum", True, "", "",
     "People on the office's violent repeat offender list charged with a new offence."),
    ("cases_referred", "Cases referred", "case_processing", "count", None, "decrease", "sum",
     False, "Cases referred", "PPI 1", "Cases referred to the office by law enforcement."),
    ("cases_declined", "Cases declined", "case_processing", "count", None, "decrease", "sum",
     False, "Cases declined", "PPI 3", "Referred cases the office declined to prosecute."),
    ("cases_diverted", "Cases diverted or deferred", "case_processing", "count", None,
     "increase", "sum", False, "Cases diverted/deferred", "PPI 5",
     "Cases resolved through diversion or deferred prosecution."),
    ("cases_filed", "Cases filed (prosecuted)", "case_processing", "count", None, "increase",
     "sum", False, "Cases prosecuted", "PPI 4", "Cases the office filed in court."),
    ("cases_disposed", "Cases disposed", "case_processing", "count", None, "increase", "sum",
     False, "Cases disposed", "PPI 7", "Cases closed by dismissal, plea or trial."),
    ("violent_felony_conviction_rate", "Conviction rate for violent felonies",
     "case_processing", "proportion", None, "increase", "mean", False, "", "PPI 12",
     "Share of disposed violent felony cases ending in conviction."),
    ("median_days_arrest_to_disposition", "Median days from arrest to disposition",
     "case_processing", "days", None, "decrease", "median", False, "", "PPI 8",
     "Median number of days between arrest and final disposition."),
    ("witness_intimidation_charges_filed", "Witness-intimidation charges filed",
     "victims_witnesses", "count", None, "increase", "sum", True, "", "",
     "Charges of witness intimidation or tampering filed."),
    ("dismissals_witness_nonappearance", "Cases dismissed for witness non-appearance",
     "victims_witnesses", "count", None, "decrease", "sum", True, "", "",
     "Cases dismissed because a victim or witness did not appear."),
    ("victim_service_contacts", "Victim-service contacts", "victims_witnesses", "count", None,
     "increase", "sum", False, "", "PPI 40", "Contacts between victim advocates and victims."),
    ("victim_contacts_within_7_days", "Victims contacted within 7 days",
     "victims_witnesses", "proportion", None, "increase", "mean", False, "", "PPI 41",
     "Share of victims of violent felonies contacted within 7 days of case filing."),
    ("supervision_violation_filings", "Probation and parole violation filings", "supervision",
     "count", None, "increase", "sum", True, "", "",
     "Violation petitions filed for people on probation or parole."),
    ("days_violation_to_hearing", "Median days from violation to hearing", "supervision",
     "days", None, "decrease", "median", False, "", "",
     "Median days between a supervision violation and its hearing."),
    ("attorney_caseload", "Open cases per attorney", "workload", "rate", 1, "decrease",
     "mean", False, "Open cases per attorney", "PPI 16",
     "Average open felony cases per line prosecutor."),
    ("cases_pending_over_1_year", "Felony cases pending over a year", "workload", "count",
     None, "decrease", "mean", False, "", "PPI 9",
     "Open felony cases older than 365 days at the end of the period."),
    ("operating_expenses", "Operating expenses", "workload", "dollars", None, "decrease",
     "sum", False, "Expenses", "", "Office operating expenses in the period."),
]  # fmt: skip


def seed(apps, schema_editor):
    OutcomeMetric = apps.get_model("evaluations", "OutcomeMetric")
    for (code, name, category, unit, base, direction, agg, suppress, jc, ppi, desc) in METRICS:
        OutcomeMetric.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "category": category,
                "unit_kind": unit,
                "rate_base": base,
                "desired_direction": direction,
                "aggregation": agg,
                "suppress_small_counts": suppress,
                "justice_counts_metric": jc,
                "ppi_indicator": ppi,
                "description": desc,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("evaluations", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
