from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

REVIEWERS_GROUP = "Reviewers"


@transaction.atomic
def ensure_reviewer(*, email: str, password: str) -> tuple[object, bool]:
    """Create a staff account in the Reviewers group, or reset the password of an existing one."""
    User = get_user_model()
    group, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    user, created = User.objects.get_or_create(email=email.lower(), defaults={"is_staff": True})
    user.is_staff = True
    user.set_password(password)
    user.save()
    user.groups.add(group)
    return user, created
