"""Operators' view of accounts, profiles and documents: personal data read-only, NIK masked.

Status is never edited here: documents change only through the services (reviews
decide them on the review page). Documents and profiles cannot be added or deleted.
"""

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from filot.admin import ReadOnlyAdmin
from filot.errors import Conflict
from kyc import services
from kyc.crypto import mask_nik
from kyc.labels import DOCUMENT_STATUSES, actor_kind, document_status
from kyc.models import ActorKind, Document, DocumentTransition, LegalHold, PrivacyEvent, Profile, User
from kyc.signed_in import signed_in_user

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise  # django-stubs' type of a lazy string

# The admin's names of kyc's models, translated. Set on the models' options here, not in
# their Meta: a label for readers, no migration (the migration state reads Meta only).
_MODEL_NAMES = {
    User: (_("account"), _("accounts")),
    Profile: (_("profile"), _("profiles")),
    Document: (_("document"), _("documents")),
    DocumentTransition: (_("status change"), _("status changes")),
    LegalHold: (_("legal hold"), _("legal holds")),
    PrivacyEvent: (_("personal-data event"), _("personal-data events")),
}
for _model, (_singular, _plural) in _MODEL_NAMES.items():
    _model._meta.verbose_name, _model._meta.verbose_name_plural = _singular, _plural


def person(kind: str, actor_id: str) -> str:
    """Who acted, as people read it: a reviewer, operator or applicant by email, BULI2 and
    the system by kind."""
    if kind in (ActorKind.REVIEWER, ActorKind.OPERATOR, ActorKind.USER) and actor_id:
        email = (
            User.objects.filter(pk=actor_id).values_list("email", flat=True).first()
            if _uuid(actor_id)
            else None
        )
        if email:
            return format_html('{} <span translate="no">{}</span>', actor_kind(kind), email)
    return actor_kind(kind)


def _uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def with_zone(moment: dt.datetime) -> str:
    """A time in the reader's zone, the zone shown (WIB)."""
    local = timezone.localtime(moment)
    return f"{date_format(local, 'DATETIME_FORMAT')} {local:%Z}"


def data(value: object) -> str:
    """Stored data as it is (an id, a code, words written by the system): not translated."""
    return format_html('<span translate="no">{}</span>', value)


class PrivacyActionForm(ActionForm):
    reason = forms.CharField(
        required=False, max_length=500, label=_("Reason / request reference"),
        help_text=_("Required for erasure; recorded in the audit trail."),
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
    @admin.action(description=_("Export personal data (JSON, audited)"), permissions=["change"])
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

    @admin.action(description=_("Erase personal data (audited; needs a reason)"), permissions=["change"])
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


def shown(
    name: str, label: "str | _StrPromise", show: Callable[[Any], object] | None = None
) -> Callable[..., object]:
    """A read-only column or field under a translated label (the models' own names are
    English): the attribute `name`, or what `show` makes of the row."""

    def value(self: admin.ModelAdmin, row: Any) -> object:
        found = show(row) if show is not None else getattr(row, name)
        if isinstance(found, dt.datetime):
            return with_zone(found)
        return "—" if found is None or found == "" else found

    value.__name__ = name
    return admin.display(description=label, ordering=name)(value)


class ChoiceFilter(admin.SimpleListFilter):
    """A filter on one coded column, its title and choices in the reader's language."""

    field: str
    labels: dict[str, Any]

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return list(self.labels.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(**{self.field: self.value()}) if self.value() in self.labels else queryset


class StatusFilter(ChoiceFilter):
    title, parameter_name, field, labels = _("status"), "status", "status", DOCUMENT_STATUSES


class DocTypeFilter(ChoiceFilter):
    title, parameter_name, field = _("document type"), "doc_type", "doc_type"
    labels = {"KTP": "KTP", "NPWP": "NPWP"}


@admin.register(Profile)
class ProfileAdmin(ReadOnlyAdmin):
    user_email = shown("user", _("Account"))
    name = shown("full_name", _("Full name"))
    born = shown("date_of_birth", _("Date of birth"))
    phone_number = shown("phone", _("Phone"))
    updated = shown("updated_at", _("Updated at"))
    list_display = ("user_email", "name", "born", "masked_nik", "phone_number")
    search_fields = ("user__email", "full_name")
    list_select_related = ("user",)
    fields = ("user_email", "name", "born", "masked_nik", "phone_number", "updated")
    readonly_fields = fields

    @admin.display(description=_("NIK"))
    def masked_nik(self, profile: Profile) -> str:
        # The full NIK is revealed only on a review page, with the permission and an audit row.
        return mask_nik(profile.nik) if profile.nik else ""


class TransitionInline(admin.TabularInline):
    model = DocumentTransition
    verbose_name = _("status change")
    verbose_name_plural = _("status changes (audit trail)")
    when = shown("at", _("When"))
    before = shown(
        "from_status", _("From"), lambda row: document_status(row.from_status) if row.from_status else ""
    )
    after = shown("to_status", _("To"), lambda row: document_status(row.to_status))
    who = shown("actor_kind", _("Who"), lambda row: person(row.actor_kind, row.actor_id))
    why = shown("reason", _("Reason"), lambda row: data(row.reason) if row.reason else "")
    correlation = shown("correlation_id", _("Correlation id"), lambda row: data(row.correlation_id))
    template = "admin/kyc/document/transitions_tabular.html"
    fields = ("when", "before", "after", "who", "why", "correlation")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("at", "id")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# The document's fields, under translated labels, in the order the page shows them.
_DOCUMENT_FIELDS = (
    ("id", _("Document id")),
    ("owner", _("Applicant")),
    ("doc_type", _("Document type")),
    ("score", _("Score")),
    ("reasons", _("Reasons")),
    ("failure_reason", _("Failure reason")),
    ("attempts", _("Attempts")),
    ("detected_type", _("Image type")),
    ("width", _("Width (px)")),
    ("height", _("Height (px)")),
    ("size_bytes", _("Size (bytes)")),
    ("correlation_id", _("Correlation id")),
    ("created_at", _("Uploaded at")),
    ("updated_at", _("Updated at")),
    ("decided_at", _("Decided at")),
    ("consent_notice_version", _("Consent notice version")),
    ("consented_at", _("Consented at")),
    ("personal_data_removed_at", _("Personal data removed at")),
    ("files_removed_at", _("Files removed at")),
)


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin):
    status_label = shown("status", _("Status"), lambda document: document_status(document.status))
    field_gpu_processed = shown(
        "gpu_processed", _("Read on the GPU"), lambda d: _("yes") if d.gpu_processed else _("no")
    )
    field_reasons = shown("reasons", _("Reasons"), lambda document: reason_codes(document.reasons))
    field_failure_reason = shown("failure_reason", _("Failure reason"), lambda d: data(d.failure_reason))
    field_detected_type = shown("detected_type", _("Image type"), lambda d: data(d.detected_type))
    field_correlation_id = shown("correlation_id", _("Correlation id"), lambda d: data(d.correlation_id))
    list_display = (
        "field_id", "field_doc_type", "status_label", "field_score", "field_owner", "field_created_at",
        "review",
    )  # fmt: skip
    list_filter = (StatusFilter, DocTypeFilter)
    search_fields = ("owner__email", "id")
    list_select_related = ("owner",)
    raw_id_fields = ("owner",)
    ordering = ("-created_at",)
    fields = (
        "field_id", "field_owner", "field_doc_type", "status_label", "field_score", "field_reasons",
        "field_failure_reason", "field_gpu_processed", "field_attempts", "field_detected_type", "field_width",
        "field_height", "field_size_bytes", "field_correlation_id", "field_created_at", "field_updated_at",
        "field_decided_at", "review", "field_consent_notice_version", "field_consented_at",
        "field_personal_data_removed_at", "field_files_removed_at",
    )  # fmt: skip
    readonly_fields = fields
    inlines = [TransitionInline]

    @admin.display(description=_("Review"))
    def review(self, document: Document) -> str:
        review = getattr(document, "manual_review", None)
        if review is None:
            return "—"
        url = reverse("admin:reviews_manualreview_review", args=[review.pk])
        return format_html('<a href="{}">{}</a>', url, _("open the review"))


for _name, _label in _DOCUMENT_FIELDS:
    if not hasattr(DocumentAdmin, f"field_{_name}"):
        setattr(DocumentAdmin, f"field_{_name}", shown(_name, _label))


def reason_codes(reasons: list[dict] | None) -> str:
    """The scorer's reasons as codes and effects (their texts are on the review pages)."""
    shown = [f"{reason.get('code', '?')} ({reason.get('effect', 0):+d})" for reason in reasons or []]
    return data(", ".join(shown)) if shown else ""
