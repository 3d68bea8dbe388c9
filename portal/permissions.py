"""Model permissions the base app grants to each role (see ``portal.roles``)."""

from portal.roles import BJA_STAFF, RESEARCH_PARTNER, SITE_CONTRIBUTOR

ROLE_PERMISSIONS: dict[str, set[str]] = {
    SITE_CONTRIBUTOR: {
        "wagtailadmin.access_admin",
        "portal.view_granteesite",
        "portal.view_jurisdiction",
    },
    BJA_STAFF: {
        "wagtailadmin.access_admin",
        "portal.add_jurisdiction",
        "portal.change_jurisdiction",
        "portal.delete_jurisdiction",
        "portal.view_jurisdiction",
        "portal.add_granteesite",
        "portal.change_granteesite",
        "portal.delete_granteesite",
        "portal.view_granteesite",
        "portal.add_sitemembership",
        "portal.change_sitemembership",
        "portal.delete_sitemembership",
        "portal.view_sitemembership",
        # Lets the site history report list token entries of the audit log.
        "portal.view_apitoken",
    },
    RESEARCH_PARTNER: {
        "wagtailadmin.access_admin",
        "portal.view_granteesite",
        "portal.view_jurisdiction",
    },
}
