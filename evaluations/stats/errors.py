"""Errors raised by the statistics library when the input cannot support an analysis.

Every error is a subclass of :class:`AnalysisError`, so a caller (a view, an upload task, an API
endpoint) can catch that one class and show ``str(error)`` to the person who supplied the data.
The messages are written for that person: they say what is wrong with the data and what to do
about it, not which line of code failed.

``AnalysisError`` also subclasses ``ValueError``, so code that already guards numeric work with
``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "AllZeroCountsError",
    "AnalysisError",
    "ConstantSeriesError",
    "ConvergenceError",
    "InvalidInputError",
    "IrregularTimeIndexError",
    "MismatchedLengthsError",
    "MissingGroupError",
    "MissingValueError",
    "NegativeExposureError",
    "TooFewPeriodsError",
    "SingularDesignError",
    "TooFewStudiesError",
]


class AnalysisError(ValueError):
    """Base class: the data cannot support the requested analysis.

    ``str(error)`` is a plain-language message suitable for showing to the user.
    """


class TooFewPeriodsError(AnalysisError):
    """A period, segment or group has fewer observations than the model needs."""


class TooFewStudiesError(AnalysisError):
    """A meta-analysis was asked to pool fewer than two site results."""


class AllZeroCountsError(AnalysisError):
    """Every count in a period or group is zero, so a rate ratio has no finite estimate."""


class ConstantSeriesError(AnalysisError):
    """The outcome does not vary, so no standard error (and no test) can be computed."""


class MismatchedLengthsError(AnalysisError):
    """Two inputs that must line up (values and exposures, estimates and variances) do not."""


class MissingGroupError(AnalysisError):
    """A treated/comparison x pre/post cell, or a required column, has no data."""


class IrregularTimeIndexError(AnalysisError):
    """A time series is not on a regular, gap-free calendar (for example a missing month)."""


class NegativeExposureError(AnalysisError):
    """An exposure (population, caseload, days) is zero or negative."""


class MissingValueError(AnalysisError):
    """The data contain blanks (NaN) where numbers are required."""


class InvalidInputError(AnalysisError):
    """An argument has a value the library does not accept (unknown option, negative count...)."""


class ConvergenceError(AnalysisError):
    """The iterative model fit did not settle on an answer."""


class SingularDesignError(AnalysisError):
    """The model's terms cannot be separated in these data (a singular design or information
    matrix), for example when a segment has a single non-zero count."""


def identical_comparison_error(name: str) -> InvalidInputError:
    """The refusal for a comparison series equal to the treatment series in every period:
    their difference is zero throughout, which the models would otherwise report as a
    constant series or fail on numerically."""
    return InvalidInputError(
        f"The comparison {name} has exactly the same values as the treatment area in every "
        f"period, so there is nothing to compare against (their difference is zero "
        f"throughout). This is usually the treatment area's data uploaded again under another "
        f"name. Choose a different comparison area, or check that upload."
    )
