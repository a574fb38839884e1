"""Mounted under /admin/ before the admin's own URLs: the rate-limited log-in."""

from django.urls import path
from django.views.i18n import set_language

from reviews.admin import rate_limited_login

urlpatterns = [
    path("login/", rate_limited_login, name="admin-login"),
    # The back office's language switch (Indonesian by default, English selectable).
    path("language/", set_language, name="admin-set-language"),
]
