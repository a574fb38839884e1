"""`request.user` as FiLot's `User`, for the views that only a signed-in user reaches.

DRF's IsAuthenticated, the admin's staff check and the back office's login check refuse
an anonymous request before the view runs; this narrows the type the view sees
(`User | AnonymousUser`) to what its permission already guarantees.
"""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from kyc.models import User


def signed_in_user(request: HttpRequest | Request) -> User:
    """The request's user; PermissionDenied (403) if it is not one (the view's permission
    already refused such a request, so this does not happen)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user
