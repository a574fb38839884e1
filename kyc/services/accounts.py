"""Accounts and the applicant's profile."""

import datetime as dt

import structlog
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch, get_md5_hash_password

from filot.errors import NotAuthenticated
from idnumbers.nik import decode_nik
from kyc.crypto import nik_blind_index
from kyc.models import Profile, User

log = structlog.get_logger(__name__)


def register_user(*, email: str, password: str) -> str:
    """Create the account; returns the normalized email.

    An email that already has an account gets the same answer as a new one (after the
    same password hashing, so the timing matches too): register never tells a caller
    whether someone has an account. The event is logged with the account's id only.
    """
    email = User.objects.normalize_email(email).lower()
    candidate = User(email=email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        make_password(password)
        log.info("registration_for_existing_account", user_id=str(existing.id))
        return email
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password)
            Profile.objects.create(user=user)
    except IntegrityError:
        log.info("registration_for_existing_account", race=True)
        return email
    log.info("user_registered", user_id=str(user.id))
    return email


def redeem_refresh_token(*, token: str) -> User:
    """Use up a refresh token and return its account, or raise NotAuthenticated.

    Single use under concurrency: the token's blacklist row is created in the database,
    whose unique constraint lets exactly one of N parallel redemptions create it.
    A token of a deleted or deactivated account, or from before a password change, is
    refused.
    """
    try:
        # simplejwt annotates its argument as a Token; it takes the encoded token (a str).
        refresh = RefreshToken(token)  # type: ignore[arg-type]  # signature, expiry, type, already blacklisted
    except TokenError as error:
        raise NotAuthenticated(str(error)) from None
    user_id = refresh.payload.get("user_id")
    user = User.objects.filter(pk=user_id).first() if user_id is not None else None
    if user is None or not user.is_active:
        raise NotAuthenticated("No active account found for the given token.")
    if refresh.payload.get("hash_password") != get_md5_hash_password(user.password):
        raise NotAuthenticated("The password was changed since this token was issued.")
    with transaction.atomic():
        outstanding, _ = OutstandingToken.objects.get_or_create(
            jti=refresh["jti"],
            defaults={
                "user": user,
                "token": token,
                "created_at": refresh.current_time,
                "expires_at": datetime_from_epoch(refresh["exp"]),
            },
        )
        _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    if not created:
        raise NotAuthenticated("Token is blacklisted")
    return user


def change_password(*, user: User, current_password: str, new_password: str) -> User:
    """Set a new password; every token issued before stops working (their password
    fingerprint no longer matches) and the outstanding refresh tokens are blacklisted."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.check_password(current_password):
            raise ValidationError({"current_password": ["This is not the current password."]})
        try:
            validate_password(new_password, user=user)
        except ValidationError as error:
            raise ValidationError({"new_password": error.messages}) from error
        user.set_password(new_password)
        user.save(update_fields=["password"])
        for outstanding in OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True):
            BlacklistedToken.objects.get_or_create(token=outstanding)
    log.info("password_changed", user_id=str(user.id))
    return user


def validate_nik(nik: str) -> str:
    """A declared NIK: 16 digits, a known province, a real date (+40 for women)."""
    if len(nik) != 16 or not nik.isdigit():
        raise ValidationError({"nik": ["A NIK has exactly 16 digits."]})
    if decode_nik(nik) is None:
        raise ValidationError({"nik": ["This is not a valid NIK (province code or birth date)."]})
    return nik


def update_profile(
    *, user: User, full_name: str, date_of_birth: dt.date | None, nik: str, phone: str
) -> Profile:
    if nik:
        validate_nik(nik)
    with transaction.atomic():
        profile, _ = Profile.objects.select_for_update().get_or_create(user=user)
        profile.full_name = " ".join(full_name.split()).upper()
        profile.date_of_birth = date_of_birth
        profile.nik = nik
        profile.nik_hash = nik_blind_index(nik) if nik else ""
        profile.phone = phone
        profile.save(update_fields=["full_name", "date_of_birth", "nik", "nik_hash", "phone", "updated_at"])
    return profile
