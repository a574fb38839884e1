"""The back office for integrators: API keys (revoke, last use), webhook endpoints, and
each endpoint's deliveries (status, attempts, last answer) with a "redeliver" action.
Registered from kyc/apps.py. Changes go through the services."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from filot.admin import ReadOnlyAdmin
from kyc.integrations.api_keys import revoke_api_key
from kyc.integrations.delivery import redeliver_webhook
from kyc.integrations.models import ApiKey, Applicant, WebhookDelivery, WebhookEndpoint


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyAdmin):
    list_display = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix")
    fields = ("name", "prefix", "created_at", "last_used_at", "revoked_at")
    actions = ("revoke",)

    @admin.action(description="Revoke the selected API keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            revoke_api_key(api_key_id=api_key.pk)
        self.message_user(request, f"{queryset.count()} key(s) revoked.", messages.SUCCESS)

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("kyc.change_apikey")  # the rows themselves stay read-only


@admin.register(Applicant)
class ApplicantAdmin(ReadOnlyAdmin):
    list_display = ("external_id", "api_key", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("external_id",)
    list_select_related = ("api_key",)
    fields = ("id", "external_id", "api_key", "status", "created_at", "updated_at")


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ("message_id", "event_type", "status", "attempts", "last_response_code", "last_attempt_at")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ("-created_at",)
    show_change_link = True


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("url", "api_key", "created_at", "removed_at")
    list_select_related = ("api_key",)
    fields = ("id", "url", "api_key", "events", "created_at", "removed_at")  # never the secrets
    inlines = (DeliveryInline,)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "message_id", "event_type", "endpoint", "status", "attempts", "last_response_code",
        "last_attempt_at", "next_attempt_at",
    )  # fmt: skip
    list_filter = ("status", "event_type")
    search_fields = ("message_id",)
    list_select_related = ("endpoint",)
    raw_id_fields = ("endpoint",)
    fields = (
        "message_id", "endpoint", "event_type", "status", "attempts", "last_response_code", "last_error",
        "last_attempt_at", "next_attempt_at", "delivered_at", "created_at", "payload",
    )  # fmt: skip
    actions = ("redeliver",)

    @admin.action(description="Redeliver the selected webhooks (same webhook-id)", permissions=["redeliver"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        for delivery in queryset:
            redeliver_webhook(delivery_id=delivery.pk)
        self.message_user(request, f"{queryset.count()} delivery(ies) queued again.", messages.SUCCESS)

    def has_redeliver_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("kyc.change_webhookdelivery")  # the rows stay read-only
