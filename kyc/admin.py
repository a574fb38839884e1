"""Operators' view of accounts, profiles and documents: personal data read-only, NIK masked.

Status is never edited here: documents change only through the services (reviews
decide them on the review page). Documents and profiles cannot be added or deleted.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from filot.admin import ReadOnlyAdmin
from filot.errors import Conflict
from kyc import services
from kyc.crypto import mask_nik
from kyc.models import ActorKind, Document, DocumentTransition, LegalHold, PrivacyEvent, Profile, User
from kyc.signed_in import signed_in_user


class PrivacyActionForm(ActionForm):
    reason = forms.CharField(
        required=False, max_length=500, label="Reason / request reference",
        help_text="Required for erasure; recorded in the audit trail.",
    )  # fmt: skip


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Operators grant staff and group membership (Reviewers) here; passwords are not shown."""

    list_display = ("email", "is_staff", "is_active", "is_superuser", "date_joined")
    list_filter = ("is_staff", "is_active", "groups")
    search_fields = ("email",)
    ordering = ("email",)
    fields = (
        "email",
        "is_active",
        "is_staff",
        "groups",
        "user_permissions",
        "date_joined",
        "last_login",
        "erased_at",
    )
    readonly_fields = ("email", "date_joined", "last_login", "erased_at")
    # user_permissions: reviews.reveal_nik is granted to named people, not to the group.
    filter_horizontal = ("groups", "user_permissions")
    action_form = PrivacyActionForm
    actions = ("export_personal_data", "erase_personal_data")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    # --- data-subject requests arriving by other channels (email, letter) ------------
    @admin.action(description="Export personal data (JSON, audited)", permissions=["change"])
    def export_personal_data(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one account to export.", messages.ERROR)
            return None
        user = queryset.get()
        data = services.export_personal_data(
            user=user, actor_kind=ActorKind.OPERATOR, actor_id=str(request.user.pk),
            reason=request.POST.get("reason", "")[:500],
        )  # fmt: skip
        response = HttpResponse(
            json.dumps(data, cls=DjangoJSONEncoder, indent=2), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="personal-data-{user.pk}.json"'
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.action(description="Erase personal data (audited; needs a reason)", permissions=["change"])
    def erase_personal_data(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        reason = " ".join(request.POST.get("reason", "").split())[:500]
        if not reason:
            self.message_user(request, "Erasure needs a reason (the request's reference).", messages.ERROR)
            return
        for user in queryset:
            try:
                services.erase_personal_data(
                    user_id=user.pk,
                    actor_kind=ActorKind.OPERATOR,
                    actor_id=str(request.user.pk),
                    reason=reason,
                )
            except Conflict as refusal:
                self.message_user(request, f"{user.pk}: not erased. {refusal}", messages.ERROR)
            else:
                self.message_user(request, f"{user.pk}: personal data erased.", messages.SUCCESS)


class LegalHoldForm(forms.ModelForm):
    class Meta:
        model = LegalHold
        fields = ("user", "reason")

    def clean_user(self) -> User:
        user = self.cleaned_data["user"]
        if user.erased_at is not None:
            raise ValidationError("This account's personal data was already erased.")
        return user


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    """Placing a hold (who and why) and lifting it (deleting the row) are audited."""

    list_display = ("user", "reason", "placed_by", "placed_at")
    list_select_related = ("user", "placed_by")
    raw_id_fields = ("user",)
    fields = ("user", "reason", "placed_by", "placed_at")
    readonly_fields = ("placed_by", "placed_at")
    form = LegalHoldForm
    actions = None

    def get_readonly_fields(self, request: HttpRequest, obj: LegalHold | None = None) -> tuple:
        return self.fields if obj is not None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: LegalHold, form: object, change: bool) -> None:
        hold = services.place_legal_hold(user=obj.user, reason=obj.reason, placed_by=signed_in_user(request))
        obj.pk, obj.placed_by, obj.placed_at = hold.pk, hold.placed_by, hold.placed_at

    def delete_model(self, request: HttpRequest, obj: LegalHold) -> None:
        services.lift_legal_hold(user=obj.user, lifted_by=signed_in_user(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[LegalHold]) -> None:
        for hold in queryset:
            self.delete_model(request, hold)


@admin.register(PrivacyEvent)
class PrivacyEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "action", "subject", "document", "actor_kind", "actor_id", "reason")
    list_filter = ("action", "actor_kind")
    search_fields = ("subject__id", "document__id")
    raw_id_fields = ("subject", "document")
    ordering = ("-at",)


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
        "updated_at", "decided_at", "review", "consent_notice_version", "consented_at",
        "personal_data_removed_at", "files_removed_at",
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
