from django.contrib.admin.apps import AdminConfig


class MitraAdminConfig(AdminConfig):
    """Django's admin, entered through the portal's own two-step sign-in."""

    default_site = "config.admin.AdminSite"
