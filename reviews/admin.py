"""The reviewers' back office: the review queue and the review page.

The admin parses input, calls one service and shows the result: no status is
edited here directly, every action goes through `reviews.services`.
"""

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import TransitionNotAllowed

from filot.admin import ReadOnlyAdmin
from filot.errors import Conflict
from filot.ratelimits import RateLimitExceeded, rate_limited, setting_rate
from kyc.crypto import nik_blind_index
from kyc.images import private_response, stored_image
from kyc.labels import document_status
from kyc.models import DocType
from kyc.signed_in import signed_in_user
from reviews import case_selectors, cases, reveals, selectors, services
from reviews.forms import ReviewActionForm
from reviews.models import WORKABLE_STATES, ManualReview, ReviewState
from reviews.reason_texts import REVIEW_STATES, check_text, reason_text, review_state
from reviews.redaction import UnreadableImage, blurred_card

if TYPE_CHECKING:
    from django.contrib.admin.filters import _ListFilterChoices  # a TypedDict of django-stubs only
    from django.contrib.admin.views.main import ChangeList

QUEUE_STATES = (*WORKABLE_STATES, ReviewState.FAILED)

# The back office's own name, in the reader's language (instead of "Django administration").
admin.site.site_header = gettext_lazy("FiLot KYC back office")
admin.site.site_title = gettext_lazy("FiLot KYC")
admin.site.index_title = gettext_lazy("Reviews and documents")


class StateFilter(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [*[(state.value, REVIEW_STATES[state.value]) for state in ReviewState], ("all", _("All"))]

    def choices(self, changelist: "ChangeList") -> "Iterator[_ListFilterChoices]":
        for index, choice in enumerate(super().choices(changelist)):
            if index == 0:  # Django's own "All" entry: no state chosen, the default queue
                choice["display"] = _("Needing review (default)")
            yield choice

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "all":
            return queryset
        if value in ReviewState.values:
            return queryset.filter(state=value)
        # The default queue: every document still needing a human, failed reviews included.
        return queryset.filter(state__in=QUEUE_STATES)


class ScoreBandFilter(admin.SimpleListFilter):
    title = gettext_lazy("score band")
    parameter_name = "score"
    BANDS = {"35-49": (35, 49), "50-69": (50, 69), "70-85": (70, 85)}

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(band, band) for band in self.BANDS]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value not in self.BANDS:
            return queryset
        low, high = self.BANDS[value]
        return queryset.filter(document__score__gte=low, document__score__lte=high)


class AgeFilter(admin.SimpleListFilter):
    title = gettext_lazy("waiting")
    parameter_name = "age"
    AGES = {
        "lt1h": (gettext_lazy("under 1 hour"), None, dt.timedelta(hours=1)),
        "1-4h": (gettext_lazy("1 to 4 hours"), dt.timedelta(hours=1), dt.timedelta(hours=4)),
        "4-24h": (gettext_lazy("4 to 24 hours"), dt.timedelta(hours=4), dt.timedelta(hours=24)),
        "gt24h": (gettext_lazy("over 24 hours"), dt.timedelta(hours=24), None),
    }

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [(key, label) for key, (label, _at_least, _under) in self.AGES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value not in self.AGES:
            return queryset
        _label, at_least, under = self.AGES[value]
        now = timezone.now()
        if at_least is not None:
            queryset = queryset.filter(created_at__lte=now - at_least)
        if under is not None:
            queryset = queryset.filter(created_at__gt=now - under)
        return queryset


class DocTypeFilter(admin.SimpleListFilter):
    title = gettext_lazy("document type")
    parameter_name = "doc_type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(value, value) for value in DocType.values]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(document__doc_type=self.value()) if self.value() else queryset


# What the review page says after each action.
DONE = {
    "claim": gettext_lazy("Claimed: the review is yours until the claim expires."),
    "release": gettext_lazy("Claim released."),
    "approve": gettext_lazy("Approved."),
    "reject": gettext_lazy("Rejected."),
    "fail": gettext_lazy("The review is marked as not completable."),
    "reopen": gettext_lazy("Review reopened."),
}


def waiting_time(review: ManualReview) -> dt.timedelta:
    return (review.completed_at or timezone.now()) - review.created_at


def format_duration(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)dd %(hours)dh %(minutes)02dm") % {"days": days, "hours": hours, "minutes": minutes}
    return _("%(hours)dh %(minutes)02dm") % {"hours": hours, "minutes": minutes}


def is_late(review: ManualReview) -> bool:
    """Waited past the SLA (REVIEW_SLA_HOURS, the case queue's clock) and not decided."""
    return waiting_time(review) > case_selectors.sla_target() and review.state != ReviewState.COMPLETED


@admin.register(ManualReview)
class ManualReviewAdmin(ReadOnlyAdmin):
    # The queue is read-only; decisions are made on the review page, through services.

    list_display = (
        "review_link", "applicant", "doc_type", "score", "state_label", "assignee_email", "waiting", "nik",
    )  # fmt: skip
    list_display_links = None
    list_filter = (StateFilter, DocTypeFilter, ScoreBandFilter, AgeFilter)
    search_fields = ("document__owner__profile__full_name", "document__owner__email", "nik_masked")
    search_help_text = gettext_lazy("Name, email, or NIK (masked like 3171********0001, or in full).")
    ordering = ("created_at",)
    list_per_page = 50
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return selectors.review_queue()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, term: str
    ) -> tuple[QuerySet, bool]:
        results, duplicates = super().get_search_results(request, queryset, term)
        digits = term.strip()
        if len(digits) == 16 and digits.isdigit():
            # A full NIK: matched on the blind indexes, never by decrypting.
            index = nik_blind_index(digits)
            results |= queryset.filter(
                Q(document__ocr_result__nik_hash=index) | Q(document__owner__profile__nik_hash=index)
            )
        return results, duplicates

    @admin.display(description=gettext_lazy("Review"), ordering="created_at")
    def review_link(self, review: ManualReview) -> str:
        url = reverse("admin:reviews_manualreview_review", args=[review.pk])
        return format_html('<a href="{}" class="review-link">{} {}</a>', url, review.document.doc_type,
                           str(review.document_id)[:8])  # fmt: skip

    @admin.display(description=gettext_lazy("Applicant"), ordering="document__owner__profile__full_name")
    def applicant(self, review: ManualReview) -> str:
        profile = getattr(review.document.owner, "profile", None)
        name = profile.full_name if profile and profile.full_name else "—"
        return format_html("{}<br><small>{}</small>", name, review.document.owner.email)

    @admin.display(description=gettext_lazy("Document type"), ordering="document__doc_type")
    def doc_type(self, review: ManualReview) -> str:
        return review.document.doc_type

    @admin.display(description=gettext_lazy("Score"), ordering="document__score")
    def score(self, review: ManualReview) -> object:
        return review.document.score

    @admin.display(description=gettext_lazy("NIK"), ordering="nik_masked")
    def nik(self, review: ManualReview) -> str:
        return review.nik_masked or "—"

    @admin.display(description=gettext_lazy("Waiting (SLA clock)"), ordering="created_at")
    def waiting(self, review: ManualReview) -> str:
        css = "sla-late" if is_late(review) else "sla-ok"
        return format_html('<span class="{}">{}</span>', css, format_duration(waiting_time(review)))

    @admin.display(description=gettext_lazy("State"), ordering="state")
    def state_label(self, review: ManualReview) -> str:
        return review_state(review.state)

    @admin.display(description=gettext_lazy("Assignee"), ordering="assignee__email")
    def assignee_email(self, review: ManualReview) -> str:
        return review.assignee.email if review.assignee else "—"

    # --- the review page ----------------------------------------------------------
    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path("<uuid:review_id>/review/", view(self.review_view), name="reviews_manualreview_review"),
            path("<uuid:review_id>/image/", view(self.image_view), name="reviews_manualreview_image"),
            *cases.urls(self.admin_site),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return redirect("admin:reviews_manualreview_review", review_id=uuid.UUID(str(object_id)))
        except ValueError:
            return super().change_view(request, object_id, *args, **kwargs)

    def _review_or_deny(self, request: HttpRequest, review_id: uuid.UUID) -> ManualReview:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return selectors.get_review(review_id=review_id)

    def image_view(self, request: HttpRequest, review_id: uuid.UUID) -> HttpResponse:
        """The card: its printed text blurred, or the original once after an audited reveal."""
        document = self._review_or_deny(request, review_id).document
        if reveals.take_image(request, review_id=review_id, token=request.GET.get("reveal", "")):
            return private_response(stored_image(document), content_type=f"image/{document.detected_type}")
        try:
            return private_response(blurred_card(stored_image(document)), content_type="image/jpeg")
        except UnreadableImage as error:
            raise Http404(_("The stored image cannot be shown.")) from error

    def review_view(self, request: HttpRequest, review_id: uuid.UUID) -> HttpResponse:
        review = self._review_or_deny(request, review_id)
        form = ReviewActionForm(request.POST or None)
        if request.method == "POST":
            if not request.user.has_perm("reviews.review_document"):
                raise PermissionDenied
            if form.is_valid():
                if form.cleaned_data["action"] == "reveal":
                    # Post, audit, redirect: a refresh neither reveals nor audits again.
                    services.record_nik_reveal(
                        review=review, user=signed_in_user(request), reason=form.cleaned_data["reason"]
                    )
                    reveals.grant(request, review_id=review.pk)
                    return HttpResponseRedirect(request.path)
                if self._act(request, review, form.cleaned_data):
                    return HttpResponseRedirect(request.path)
            else:
                messages.error(
                    request, " ".join(" ".join(map(str, errors)) for errors in form.errors.values())
                )
            review = selectors.get_review(review_id=review_id)
        image_token = reveals.take_page(request, review_id=review.pk) if request.method == "GET" else None
        context = self._context(request, review, image_token)
        return TemplateResponse(request, "admin/reviews/review.html", context)

    def _act(self, request: HttpRequest, review: ManualReview, data: dict) -> bool:
        action, reason, user = data["action"], data["reason"], signed_in_user(request)
        calls = {
            "claim": lambda: services.claim_review(review_id=review.pk, user=user),
            "release": lambda: services.release_review(review_id=review.pk, user=user),
            "approve": lambda: services.complete_manual_review(
                review_id=review.pk, decision="approve", reason=reason, actor=services.Actor.reviewer(user)
            ),
            "reject": lambda: services.complete_manual_review(
                review_id=review.pk, decision="reject", reason=reason, actor=services.Actor.reviewer(user)
            ),
            "fail": lambda: services.fail_review(
                review_id=review.pk, reason=reason, actor=services.Actor.reviewer(user)
            ),
            "reopen": lambda: services.reopen_review(review_id=review.pk, user=user),
        }
        try:
            calls[action]()
        except (Conflict, TransitionNotAllowed) as error:
            messages.error(request, str(error) or _("Not allowed in the current state."))
            return False
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return False
        messages.success(request, DONE[action])
        return True

    def _context(self, request: HttpRequest, review: ManualReview, image_token: str | None) -> dict:
        document = review.document
        reveal = image_token is not None
        image_url = reverse("admin:reviews_manualreview_image", args=[review.pk])
        reading = getattr(document, "ocr_result", None)
        user = request.user
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Review of %(doc_type)s %(id)s") % {"doc_type": document.doc_type, "id": document.id},
            "review": review,
            "document": document,
            "waiting": format_duration(waiting_time(review)),
            "late": is_late(review),
            "fields": selectors.card_fields(document=document, reveal=reveal),
            "reasons": [{**reason, "text": reason_text(reason)} for reason in document.reasons or []],
            "checks": [{**check, "text": check_text(check)} for check in (reading.checks if reading else [])],
            "document_status": document_status(document.status),
            "review_state": review_state(review.state),
            "reading": reading,
            "comparison": selectors.profile_vs_card(document=document, reveal=reveal),
            "trail": case_selectors.audit_trail(documents=[document]),
            "revealed": reveal,
            "can_review": user.has_perm("reviews.review_document"),
            "can_reveal": user.has_perm("reviews.reveal_nik"),
            "mine": review.claim_active and review.assignee_id == user.pk,
            "claimed_by_other": review.claimed_by_other(user.pk),
            # BULI2 decides a case it holds: no claim or decision offered here.
            "workable": review.state in WORKABLE_STATES and not review.with_buli2,
            "image_url": f"{image_url}?reveal={image_token}" if reveal else image_url,
        }


# --- the admin log-in, rate limited --------------------------------------------------
_LOGIN_LIMITS = [
    ("ip", setting_rate("ADMIN_LOGIN_RATE_LIMIT")),
    ("post:username", setting_rate("ADMIN_LOGIN_RATE_LIMIT")),
]


def rate_limited_login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
    """The admin's log-in, with attempts (POSTs) limited per client address and per email."""
    if request.method == "POST":
        try:
            rate_limited("admin-login", _LOGIN_LIMITS)(lambda request: None)(request)
        except RateLimitExceeded as error:
            response = HttpResponse(
                _("Too many log-in attempts. Try again later."), status=429, content_type="text/plain"
            )
            response["Retry-After"] = str(error.retry_after)
            return response
    return admin.site.login(request, extra_context)
