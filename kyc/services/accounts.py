"""Accounts and the applicant's profile."""

import datetime as dt

import structlog
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from idnumbers.nik import decode_nik
from kyc.crypto import nik_blind_index
from kyc.models import Profile, User

log = structlog.get_logger(__name__)


def register_user(*, email: str, password: str) -> User:
    email = User.objects.normalize_email(email).lower()
    candidate = User(email=email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password)
            Profile.objects.create(user=user)
    except IntegrityError as error:
        raise ValidationError({"email": ["An account with this email already exists."]}) from error
    log.info("user_registered", user_id=str(user.id))
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
