"""Probes address a task by its private IP, which is not one of the ALLOWED_HOSTS.

The ALB's health check sends `Host: <task IP>:8080`, the container health check
`Host: localhost:8080`, and a Prometheus scraper the task's address: Django would
answer each with 400 (DisallowedHost). For the probe paths only, an unknown Host is
replaced by the first configured host before anything reads it; every other path
keeps Django's host validation.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host

PROBE_PATHS = frozenset({"/health", "/health/ready", "/metrics"})


class ProbeHostMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in PROBE_PATHS:
            domain, _ = split_domain_port(request.META.get("HTTP_HOST", ""))
            allowed: list[str] = settings.ALLOWED_HOSTS
            named = [host for host in allowed if host and "*" not in host and host[0] != "."]
            if named and not validate_host(domain, allowed):
                request.META["HTTP_HOST"] = named[0]
        return self.get_response(request)
