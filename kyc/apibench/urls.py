"""The benchmark's URLconf: the API as shipped plus the in-run ceiling.

settings.py selects it only when FILOT_API_BENCHMARK is set (refused in production),
so the ceiling path does not exist anywhere else.
"""

from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from filot.urls import handler400, handler403, handler404, handler500
from filot.urls import urlpatterns as api_urlpatterns
from kyc import selectors
from kyc.signed_in import signed_in_user

CEILING_PATH = "api/v1/benchmark/ceiling"


class CeilingApi(APIView):
    """A bare authenticated DRF read: simplejwt verification, the user row, one more query."""

    schema = None  # not part of the API

    def get(self, request: Request) -> Response:
        has_documents = selectors.list_documents_for_user(user=signed_in_user(request)).exists()
        return Response({"id": str(request.user.id), "has_documents": has_documents})


urlpatterns = [*api_urlpatterns, path(CEILING_PATH, CeilingApi.as_view(), name="benchmark-ceiling")]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
