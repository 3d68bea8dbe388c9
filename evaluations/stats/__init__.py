"""Statistics for programme evaluations: pre/post, difference-in-differences, interrupted time
series and meta-analysis of site results.

Pure functions on numpy/pandas inputs with no Django dependency, so they can run in views,
background tasks, notebooks and the benchmark alike. The fitting kernels live in
:mod:`evaluations.stats.fitting`; by default the time-series designs model autocorrelated
errors (AR(1) by REML), the method the calibration benchmark (``bench/calibration_bench.py``)
found to hold its error rates. Every analysis returns a frozen result
object (see :mod:`evaluations.stats.results`) with the estimate, its standard error, interval,
p-value, a ``method`` sentence and plain-language ``warnings``; ``to_dict()`` makes it
JSON-safe. Bad input raises a subclass of :class:`AnalysisError` whose message can be shown to
the user as is.
"""

from .did import difference_in_differences
from .effect_sizes import (
    effect_size_from_result,
    hedges_g,
    hedges_g_variance,
    log_rate_ratio_effect,
)
from .errors import (
    AllZeroCountsError,
    AnalysisError,
    ConstantSeriesError,
    ConvergenceError,
    InvalidInputError,
    IrregularTimeIndexError,
    MismatchedLengthsError,
    MissingGroupError,
    MissingValueError,
    NegativeExposureError,
    SingularDesignError,
    TooFewPeriodsError,
    TooFewStudiesError,
)
from .its import default_hac_lags, interrupted_time_series
from .meta import fixed_effect, random_effects
from .prepost import pre_post
from .results import (
    DEFAULT_ALPHA,
    RESULT_SCHEMA_VERSION,
    DiDResult,
    EstimateResult,
    ITSResult,
    MetaResult,
    PrePostResult,
    confidence_label,
    result_from_dict,
)
from .subgroups import (
    SubgroupEstimate,
    SubgroupTestResult,
    leave_one_out,
    subgroup_differences,
)

__all__ = [
    "DEFAULT_ALPHA",
    "RESULT_SCHEMA_VERSION",
    "AllZeroCountsError",
    "AnalysisError",
    "ConstantSeriesError",
    "ConvergenceError",
    "DiDResult",
    "EstimateResult",
    "ITSResult",
    "InvalidInputError",
    "IrregularTimeIndexError",
    "MetaResult",
    "MismatchedLengthsError",
    "MissingGroupError",
    "MissingValueError",
    "NegativeExposureError",
    "PrePostResult",
    "SubgroupEstimate",
    "SubgroupTestResult",
    "SingularDesignError",
    "TooFewPeriodsError",
    "TooFewStudiesError",
    "confidence_label",
    "default_hac_lags",
    "difference_in_differences",
    "effect_size_from_result",
    "fixed_effect",
    "hedges_g",
    "hedges_g_variance",
    "interrupted_time_series",
    "leave_one_out",
    "log_rate_ratio_effect",
    "pre_post",
    "random_effects",
    "result_from_dict",
    "subgroup_differences",
]
