from django.urls import path

from reviews import api

urlpatterns = [
    path("callback", api.ReviewCallbackApi.as_view(), name="reviews-callback"),
    path("images/<str:token>", api.ReviewImageApi.as_view(), name="reviews-signed-image"),
]
