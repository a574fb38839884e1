"""Operators' view of accounts, profiles and documents: personal data read-only, NIK masked.

Status is never edited here: documents change only through the services (reviews
decide them on the review page). Documents and profiles cannot be added or deleted.
"""

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from kyc.crypto import mask_nik
from kyc.models import Document, DocumentTransition, Profile, User


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Operators grant staff and group membership (Reviewers) here; passwords are not shown."""

    list_display = ("email", "is_staff", "is_active", "is_superuser", "date_joined")
    list_filter = ("is_staff", "is_active", "groups")
    search_fields = ("email",)
    ordering = ("email",)
    fields = ("email", "is_active", "is_staff", "groups", "date_joined", "last_login")
    readonly_fields = ("email", "date_joined", "last_login")
    filter_horizontal = ("groups",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Profile)
class ProfileAdmin(ReadOnlyAdmin):
    list_display = ("user", "full_name", "date_of_birth", "masked_nik", "phone")
    search_fields = ("user__email", "full_name")
    list_select_related = ("user",)
    fields = ("user", "full_name", "date_of_birth", "masked_nik", "phone", "updated_at")
    readonly_fields = fields

    @admin.display(description="NIK")
    def masked_nik(self, profile: Profile) -> str:
        # The full NIK is revealed only on a review page, with the permission and an audit row.
        return mask_nik(profile.nik) if profile.nik else ""


class TransitionInline(admin.TabularInline):
    model = DocumentTransition
    fields = ("at", "from_status", "to_status", "actor_kind", "actor_id", "reason", "correlation_id")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("at", "id")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    list_display = ("id", "doc_type", "status", "score", "owner", "created_at", "review")
    list_filter = ("status", "doc_type")
    search_fields = ("owner__email", "id")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    ordering = ("-created_at",)
    fields = (
        "id", "owner", "doc_type", "status", "score", "reasons", "failure_reason", "gpu_processed",
        "attempts", "detected_type", "width", "height", "size_bytes", "correlation_id", "created_at",
        "updated_at", "decided_at", "review",
    )  # fmt: skip
    readonly_fields = fields
    inlines = [TransitionInline]

    @admin.display(description="Review")
    def review(self, document: Document) -> str:
        review = getattr(document, "manual_review", None)
        if review is None:
            return "—"
        url = reverse("admin:reviews_manualreview_review", args=[review.pk])
        return format_html('<a href="{}">{}</a>', url, review.state)
