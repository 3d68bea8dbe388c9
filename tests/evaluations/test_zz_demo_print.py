import io
import json

import pytest

from evaluations.models import Analysis

pytestmark = pytest.mark.django_db


def test_print(roles):
    from evaluations.demo import load
    from portal.demo import load as portal_load
    from strategies.demo import load as strategies_load

    portal_load(stdout=io.StringIO(), verbosity=0)
    strategies_load(stdout=io.StringIO(), verbosity=0)
    load(stdout=io.StringIO(), verbosity=0)
    for a in Analysis.objects.order_by("site__slug", "design"):
        r = a.current_result
        res = r.result if r else {}
        out = {k: res.get(k) for k in ("estimate", "ci_low", "ci_high", "p_value")}
        if res.get("level_change_difference"):
            d = res["level_change_difference"]
            out["diff"] = [round(d[k], 4) for k in ("estimate", "ci_low", "ci_high", "p_value")]
        print(
            "DEMO",
            a.site.slug,
            a.design,
            r.status if r else None,
            r.error if r else "",
            json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}),
            "|",
            " / ".join(res.get("warnings", []))[:600],
        )
