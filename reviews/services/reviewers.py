"""The Reviewers group: staff who review without being superusers."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from kyc.models import User

REVIEWERS_GROUP = "Reviewers"
# What a member of the Reviewers group may do: work the queue, read what it needs.
REVIEWER_PERMISSIONS = (
    ("reviews", "view_manualreview"),
    ("reviews", "review_document"),
    ("reviews", "view_reviewevent"),
    ("kyc", "view_document"),
    ("kyc", "view_documenttransition"),
    ("kyc", "view_profile"),
)


# --- the Reviewers group -----------------------------------------------------------
def ensure_reviewers_group() -> Group:
    """The Reviewers group holding at least its permissions (run after every migrate).

    Permissions an operator added to the group (say, reveal_nik) are kept.
    """
    group, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    wanted = Permission.objects.filter(
        content_type__app_label__in={app for app, _ in REVIEWER_PERMISSIONS},
        codename__in={codename for _, codename in REVIEWER_PERMISSIONS},
    )
    group.permissions.add(*wanted)
    return group


@transaction.atomic
def ensure_reviewer(*, email: str, password: str) -> tuple[User, bool]:
    """Create a staff account in the Reviewers group, or reset the password of an existing one."""
    User = get_user_model()
    group = ensure_reviewers_group()
    user, created = User.objects.get_or_create(email=email.lower(), defaults={"is_staff": True})
    user.is_staff = True
    user.set_password(password)
    user.save()
    user.groups.add(group)
    return user, created


@transaction.atomic
def register_reviewer(*, email: str, password: str, can_reveal: bool) -> tuple[User, bool]:
    """A production reviewer: staff in the Reviewers group, the password checked by the
    site's validators, and the audited NIK reveal granted to this person or taken back."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.validators import validate_email

    email = email.strip().lower()
    validate_email(email)
    User = get_user_model()
    existing = User.objects.filter(email=email).first()
    validate_password(password, user=existing or User(email=email))
    user, created = ensure_reviewer(email=email, password=password)
    reveal = Permission.objects.get(content_type__app_label="reviews", codename="reveal_nik")
    if can_reveal:
        user.user_permissions.add(reveal)
    else:
        user.user_permissions.remove(reveal)
    return user, created
