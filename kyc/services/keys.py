"""Key rotation: every value encrypted at rest re-encrypted under the newest key.

Operators prepend a new key to `NIK_ENCRYPTION_KEYS`, deploy, run
`manage.py rotate_nik_keys`, then retire the old key (deploy/runbook.md, "Rotate
secrets"). The run is resumable: a value already under the newest key is skipped, so
an interrupted run is simply started again.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

import structlog
from django.apps import apps
from django.db import connection, models, transaction

from kyc.crypto import EncryptedJSONField, EncryptedNikField, is_current_token, rotate_token

log = structlog.get_logger(__name__)
ENCRYPTED_FIELDS = (EncryptedNikField, EncryptedJSONField)


@dataclass
class RotationReport:
    rotated: dict[str, int] = field(default_factory=dict)  # "table.column" -> values re-encrypted
    current: dict[str, int] = field(default_factory=dict)  # already under the newest key

    @property
    def total_rotated(self) -> int:
        return sum(self.rotated.values())


def encrypted_columns() -> Iterator[tuple[type[models.Model], models.Field]]:
    """Every encrypted column of every installed model."""
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, ENCRYPTED_FIELDS):
                yield model, model_field


def rotate_encryption_keys(*, batch_size: int = 500) -> RotationReport:
    """Re-encrypt every encrypted column's values under the newest key, in batches by
    primary key, each batch in its own transaction. A row changed meanwhile by another
    writer (already under the newest key, then) is left as that writer wrote it."""
    report = RotationReport()
    for model, model_field in encrypted_columns():
        name = f"{model._meta.db_table}.{model_field.column}"
        report.rotated[name], report.current[name] = _rotate_column(model, model_field, batch_size)
        log.info("encryption_keys_rotated", column=name, rotated=report.rotated[name])
    return report


def _rotate_column(model: type[models.Model], model_field: models.Field, batch_size: int) -> tuple[int, int]:
    quote = connection.ops.quote_name
    pk_field = model._meta.pk
    if pk_field is None or model_field.column is None:  # abstract models have neither
        return 0, 0
    table, column, pk = (
        quote(model._meta.db_table),
        quote(model_field.column),
        quote(pk_field.column or pk_field.attname),
    )
    select = (
        f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL AND {column} <> ''"  # noqa: S608
        f" AND {pk} > %s ORDER BY {pk} LIMIT %s"
    )
    update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s"  # noqa: S608
    rotated = current = 0
    last: str | int = _lowest(model)
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(select, [last, batch_size])
            rows = cursor.fetchall()
            for key, token in rows:
                if is_current_token(token):
                    current += 1
                    continue
                cursor.execute(update, [rotate_token(token), key, token])
                rotated += cursor.rowcount
        if len(rows) < batch_size:
            return rotated, current
        last = rows[-1][0]


def _lowest(model: type[models.Model]) -> str | int:
    """A value below every primary key of the model (keys compared in the database)."""
    pk = model._meta.pk
    if isinstance(pk, models.UUIDField):
        return "00000000-0000-0000-0000-000000000000"
    if isinstance(pk, models.OneToOneField | models.ForeignKey) and isinstance(pk.related_model, type):
        return _lowest(pk.related_model)
    return -1
