"""The reviewers' case pages (admin views): the queue of applicants, claim next, one case
with its documents, and the decision flow. Each view parses, calls one service or
selector and renders; every change goes through `reviews.services`.
"""

import uuid
from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_fsm import TransitionNotAllowed

from filot.errors import Conflict
from kyc.images import private_response, stored_image
from kyc.models import Document, User
from kyc.signed_in import signed_in_user
from reviews import case_selectors as selectors
from reviews import services
from reviews.models import WORKABLE_STATES, ManualReview
from reviews.reason_texts import DECISION_REASONS, decision_reason
from reviews.redaction import UnreadableImage, blurred_boxes, blurred_card


def urls(admin_site: admin.AdminSite) -> list[URLPattern]:
    """The case pages, mounted among the review admin's URLs."""
    view = admin_site.admin_view

    def page(name: str, func: Callable[..., HttpResponse], route: str) -> URLPattern:
        return path(route, view(func), name=f"reviews_case_{name}")

    return [
        page("queue", queue_view, "cases/"),
        page("next", claim_next_view, "cases/next/"),
        page("detail", case_view, "cases/<uuid:owner_id>/"),
        page("decide", decide_view, "cases/<uuid:owner_id>/decide/"),
        page("card", card_image_view, "cases/documents/<uuid:document_id>/card/"),
        page("original", original_image_view, "cases/documents/<uuid:document_id>/original/"),
    ]


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _context(request: HttpRequest, **values: object) -> dict:
    from django.contrib import admin

    return {**admin.site.each_context(request), "opts": ManualReview._meta, **values}


@require_GET
def queue_view(request: HttpRequest) -> HttpResponse:
    _require(request, "reviews.view_manualreview")
    cases = selectors.case_queue()
    return TemplateResponse(
        request,
        "reviews/case_list.html",
        _context(
            request,
            title=_("Cases waiting for a reviewer"),
            cases=cases,
            sla_hours=int(selectors.sla_target().total_seconds() // 3600),
        ),
    )


@require_POST
def claim_next_view(request: HttpRequest) -> HttpResponse:
    _require(request, "reviews.review_document")
    skipped = _skip(request, request.POST.get("skip", ""))
    review = claim_next(request, skip=skipped)
    if review is None:
        messages.info(request, _("No case is waiting."))
        return redirect("admin:reviews_case_queue")
    return _to_case(review)


def _skip(request: HttpRequest, review_id: str) -> str:
    """`Next` from a case: give back the claim the reviewer is leaving."""
    if not review_id:
        return ""
    try:
        services.release_review(review_id=review_id, user=signed_in_user(request))
    except (ManualReview.DoesNotExist, ValidationError, ValueError, Conflict):
        return ""
    return review_id


def claim_next(
    request: HttpRequest, *, after: ManualReview | None = None, skip: str = ""
) -> ManualReview | None:
    """Claim the next review: the rest of this case first, then the oldest free case."""
    candidates = [r for r in selectors.next_reviews_for(user=signed_in_user(request)) if str(r.pk) != skip]
    if after is not None:
        owner = after.document.owner_id
        candidates.sort(key=lambda review: review.document.owner_id != owner)  # stable: age kept
    for review in candidates:
        try:
            return services.claim_review(review_id=review.pk, user=signed_in_user(request))
        except (Conflict, TransitionNotAllowed):
            continue  # another reviewer took it a moment ago
    return None


def _to_case(review: ManualReview) -> HttpResponseRedirect:
    url = reverse("admin:reviews_case_detail", args=[review.document.owner_id])
    return HttpResponseRedirect(f"{url}?document={review.document_id}")


@require_GET
def case_view(request: HttpRequest, owner_id: uuid.UUID) -> HttpResponse:
    _require(request, "reviews.view_manualreview")
    documents = selectors.case_documents(owner_id=owner_id)
    current = _chosen(documents, request.GET.get("document"), signed_in_user(request))
    view = selectors.document_view(document=current)
    review = getattr(current, "manual_review", None)
    owner = current.owner
    return TemplateResponse(
        request,
        "reviews/case.html",
        _context(
            request,
            title=_("Case of %(email)s") % {"email": owner.email},
            owner=owner,
            documents=documents,
            current=current,
            view=view,
            review=review,
            mine=bool(review and review.claim_active and review.assignee_id == request.user.pk),
            held_by_other=bool(review and review.claimed_by_other(request.user.pk)),
            workable=bool(review and review.state in WORKABLE_STATES and not review.with_buli2),
            can_review=request.user.has_perm("reviews.review_document"),
            decision_reasons=DECISION_REASONS,
            trail=selectors.audit_trail(documents=documents),
            card_url=reverse("admin:reviews_case_card", args=[current.pk]) if view["card_image_key"] else "",
            original_url=reverse("admin:reviews_case_original", args=[current.pk]),
        ),
    )


def _chosen(documents: list[Document], wanted: str | None, user: User) -> Document:
    by_id = {str(document.pk): document for document in documents}
    if wanted in by_id:
        return by_id[wanted]
    if wanted:
        raise Http404(_("This document is not part of the case."))
    reviewed = [doc for doc in documents if getattr(doc, "manual_review", None) is not None]
    workable = [doc for doc in reviewed if doc.manual_review.state in WORKABLE_STATES]
    mine = [doc for doc in workable if doc.manual_review.assignee_id == user.pk]
    return (mine or workable or reviewed)[0]


@require_POST
def decide_view(request: HttpRequest, owner_id: uuid.UUID) -> HttpResponse:
    _require(request, "reviews.review_document")
    try:
        review = ManualReview.objects.select_related("document").get(
            pk=request.POST.get("review", ""), document__owner_id=owner_id
        )
    except (ManualReview.DoesNotExist, ValidationError, ValueError) as error:
        raise Http404(_("No such review in this case.")) from error
    action = request.POST.get("action", "")
    try:
        _act(request, review, action)
    except (Conflict, TransitionNotAllowed, ValueError, ValidationError) as error:
        text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text or _("Not allowed in the current state."))
        return _to_case(review)
    if action in DECISION_REASONS:
        messages.success(request, _("Decision recorded."))
        following = claim_next(request, after=review)
        if following is None:
            messages.info(request, _("No case is waiting."))
            return redirect("admin:reviews_case_queue")
        return _to_case(following)
    return _to_case(review)


def _act(request: HttpRequest, review: ManualReview, action: str) -> None:
    user = signed_in_user(request)
    actor = services.Actor.reviewer(user)
    if action == "claim":
        services.claim_review(review_id=review.pk, user=user)
    elif action == "release":
        services.release_review(review_id=review.pk, user=user)
    elif action in DECISION_REASONS:
        reason = decision_reason(
            action=action, code=request.POST.get("reason_code", ""), note=request.POST.get("note", "")[:400]
        )
        if action == "reupload":
            # The applicant is asked for a new photo: `resubmission_requested`, with a hint.
            services.request_reupload(
                review_id=review.pk, user=user, code=request.POST.get("reason_code", ""), reason=reason
            )
        else:
            services.complete_manual_review(review_id=review.pk, decision=action, reason=reason, actor=actor)
    else:
        raise ValueError(_("Unknown action."))


def _check_holds_claim(review: ManualReview, user: User) -> None:
    review.refresh_from_db()
    if not (review.claim_active and review.assignee_id == user.pk):
        raise Conflict(_("Claim the review before deciding it."))


def _document_under_review(request: HttpRequest, document_id: uuid.UUID) -> Document:
    _require(request, "reviews.view_manualreview")
    document = Document.objects.filter(pk=document_id, manual_review__isnull=False).first()
    if document is None:
        raise Http404(_("No such document under review."))
    return document


@require_GET
def original_image_view(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    """The original photo with every printed line blurred (its NIK cannot be located on
    it); the unblurred original only through the review page's audited reveal."""
    document = _document_under_review(request, document_id)
    try:
        return private_response(blurred_card(stored_image(document)), content_type="image/jpeg")
    except UnreadableImage as error:
        raise Http404(_("The image is missing from storage.")) from error


@require_GET
def card_image_view(request: HttpRequest, document_id: uuid.UUID) -> HttpResponse:
    """The flattened, upright card the engine read, with its NIK / NPWP lines blurred
    (the reading's boxes are in this image's pixels); everything blurred when the
    reading has no boxes. Revealing is the review page's audited reveal."""
    document = _document_under_review(request, document_id)
    key = selectors.card_image_key(document=document)
    if not key:
        raise Http404(_("The engine kept no flattened card for this document."))
    try:
        with default_storage.open(key, "rb") as stored:
            data = stored.read()
    except OSError as error:
        raise Http404(_("The image is missing from storage.")) from error
    boxes = selectors.number_line_boxes(document=document)
    try:
        blurred = blurred_card(data) if boxes is None else blurred_boxes(data, boxes)
    except UnreadableImage as error:
        raise Http404(_("The image is missing from storage.")) from error
    return private_response(blurred, content_type="image/jpeg")
