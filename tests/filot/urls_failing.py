"""Views that fail on purpose, mounted only by the error-handling tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class FailingApi(APIView):
    authentication_classes = ()
    permission_classes = ()

    def get(self, request):
        raise RuntimeError("database password is hunter2 and NIK 3171011708900001")

    def post(self, request):
        from rest_framework import serializers

        class Input(serializers.Serializer):
            email = serializers.EmailField()

        Input(data=request.data).is_valid(raise_exception=True)
        return Response({})


def failing_view(request: HttpRequest) -> HttpResponse:
    raise KeyError("internal detail")


urlpatterns = [
    path("api/v1/failing", FailingApi.as_view()),
    path("plain/failing", failing_view),
    path("", include("filot.urls")),
]

handler404 = "filot.api.handler404"
handler500 = "filot.api.handler500"
