"""Advisory locks (PostgreSQL, until commit) that serialize decisions about one person."""

import uuid

from django.db import connection


def lock_applicant(*, owner_id: uuid.UUID | str) -> None:
    """Serialize the scoring of one applicant's documents: an NPWP scored while their KTP
    is being decided waits for it, so it either sees the KTP or is re-scored by it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"kyc-applicant:{owner_id}"])
