from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from filot import health, metrics

urlpatterns = [
    path("health", health.liveness, name="health"),
    path("health/ready", health.readiness, name="health-ready"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("api/v1/", include("kyc.urls")),
    # BULI2's callback (HMAC-signed, no JWT) and signed image URLs.
    path("api/v1/reviews/", include("reviews.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # The admin log-in with its rate limit, ahead of the admin's own.
    path("admin/", include("reviews.admin_urls")),
    path("admin/", admin.site.urls),
]

handler400 = "filot.api.handler400"
handler403 = "filot.api.handler403"
handler404 = "filot.api.handler404"
handler500 = "filot.api.handler500"
