"""Model permissions the strategies app grants to each role (merged by ``portal.roles``).

Page permissions (add/change/publish on the strategy index) and the review workflow are
page-tree data, not model permissions: ``strategies.services.strategy_moderation_sync`` sets
them. The per-site boundary is drawn in ``strategies.access``.
"""

from portal.roles import BJA_STAFF, RESEARCH_PARTNER, SITE_CONTRIBUTOR

ROLE_PERMISSIONS: dict[str, set[str]] = {
    SITE_CONTRIBUTOR: {
        "strategies.view_strategytype",
    },
    BJA_STAFF: {
        "strategies.add_strategytype",
        "strategies.change_strategytype",
        "strategies.delete_strategytype",
        "strategies.view_strategytype",
        "strategies.add_evidencerating",
        "strategies.change_evidencerating",
        "strategies.delete_evidencerating",
        "strategies.view_evidencerating",
    },
    RESEARCH_PARTNER: {
        "strategies.view_strategytype",
    },
}
