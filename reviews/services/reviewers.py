"""The Reviewers group: staff who review without being superusers."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

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
def ensure_reviewer(*, email: str, password: str) -> tuple[object, bool]:
    """Create a staff account in the Reviewers group, or reset the password of an existing one."""
    User = get_user_model()
    group = ensure_reviewers_group()
    user, created = User.objects.get_or_create(email=email.lower(), defaults={"is_staff": True})
    user.is_staff = True
    user.set_password(password)
    user.save()
    user.groups.add(group)
    return user, created
