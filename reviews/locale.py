"""The back office's language: Indonesian for reviewers unless they chose another one.

Runs after Django's LocaleMiddleware. Under /admin/ the language is the one the reviewer
picked (the language cookie set by the switch on every case page), else
BACK_OFFICE_LANGUAGE, whatever the browser asks for; elsewhere LocaleMiddleware's
choice stands (the API: English unless a client asks otherwise).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class BackOfficeLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith("/admin/"):
            return self.get_response(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.languages else settings.BACK_OFFICE_LANGUAGE
        request.LANGUAGE_CODE = language
        # For this request only: the thread goes back to LocaleMiddleware's choice after.
        with translation.override(language):
            response = self.get_response(request)
        response.headers["Content-Language"] = language
        return response
