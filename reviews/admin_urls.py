"""Mounted under /admin/ before the admin's own URLs: the rate-limited log-in."""

from django.urls import path

from reviews.admin import rate_limited_login

urlpatterns = [path("login/", rate_limited_login, name="admin-login")]
