"""Choice lists shared by the models, the admin form and the public filters."""

from __future__ import annotations

from django.db import models


class Rating(models.TextChoices):
    """CrimeSolutions' per-outcome evidence ratings, as the field already reads them."""

    EFFECTIVE = "effective", "Effective"
    PROMISING = "promising", "Promising"
    NO_EFFECTS = "no_effects", "No effects"
    NEGATIVE_EFFECTS = "negative_effects", "Negative effects"
    INCONCLUSIVE = "inconclusive", "Inconclusive evidence"
    NOT_RATED = "not_rated", "Not yet rated"


# Sort order for "evidence rating" and for the overall badge: evidence that a strategy works
# first, then evidence still too thin to call, then evidence that it did nothing or harm.
# A strategy's overall rating is its best-ranked outcome.
RATING_RANK: dict[str, int] = {
    Rating.EFFECTIVE: 6,
    Rating.PROMISING: 5,
    Rating.INCONCLUSIVE: 4,
    Rating.NO_EFFECTS: 3,
    Rating.NEGATIVE_EFFECTS: 2,
    Rating.NOT_RATED: 1,
}


# What each rating means, for the public page explaining them (/evidence-ratings/) and the
# badges' titles; docs/evidence-ratings.md says the same for BJA staff.
RATING_MEANINGS: dict[str, str] = {
    Rating.EFFECTIVE: (
        "Strong evidence that the strategy achieved what it set out to do on this outcome: "
        "results from strong designs improved, by a change large enough to matter."
    ),
    Rating.PROMISING: (
        "Some evidence that the strategy achieved what it set out to do: results improved, "
        "but the evidence is not yet strong or consistent enough to call it effective."
    ),
    Rating.NO_EFFECTS: (
        "Strong evidence that the strategy did not change this outcome: results from strong "
        "designs show no clear change and rule out a large benefit."
    ),
    Rating.NEGATIVE_EFFECTS: (
        "Strong evidence that the outcome got worse where the strategy ran: results from "
        "strong designs worsened significantly."
    ),
    Rating.INCONCLUSIVE: (
        "The evidence is too weak, too imprecise or too contradictory to rate: not a verdict "
        "that the strategy does not work."
    ),
    Rating.NOT_RATED: "BJA has not reviewed the evidence on this outcome yet.",
}


class StrategyStatus(models.TextChoices):
    PLANNING = "planning", "Planning"
    ACTIVE = "active", "Active"
    SUSTAINED = "sustained", "Sustained"
    ENDED = "ended", "Ended"


class StrategySort(models.TextChoices):
    NEWEST = "newest", "Newest first"
    AZ = "az", "Title A–Z"
    RATING = "rating", "Strongest evidence first"
