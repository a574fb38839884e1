"""Reads of personal data, always scoped to who is asking."""

import datetime as dt
import threading
import uuid
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When, Window
from django.db.transaction import TransactionManagementError
from django.http import Http404

from kyc.models import ACTIVE_STATUSES, TERMINAL_STATUSES, Applicant, Document, Profile, User


def get_profile(*, user: User) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def list_documents_for_user(*, user: User) -> QuerySet[Document]:
    return Document.objects.filter(owner=user).select_related("ocr_result").order_by("-created_at", "id")


class CompiledRead:
    """A read compiled to SQL once per process, then run with each request's values.

    Django compiles a queryset to SQL every time it is evaluated, and for the hot reads
    that costs more than running them. `build` makes the queryset (a `values_list`) from
    one keyword UUID per parameter; it is compiled once with a fresh UUID for each, and
    those UUIDs' places among the SQL's parameters are where a request's values go (a
    text column's parameter, such as a hash, takes the UUID's text form there). The
    rows come back through the thread's own connection (so debug cursors, execute
    wrappers and health checks apply) and through the same converters Django would use
    (the fields' own `from_db_value`: JSON, decryption). `suffix` (with its parameters
    given at run time) is appended to the SQL: LIMIT/OFFSET, which Django would inline.
    `for_no_key_update` locks the rows as `select_for_update(no_key=True)` would (where
    the database has row locks; inside a transaction only): appended by hand, since
    Django compiles a locking queryset only inside a transaction, and the check has none.

    Every read is also compiled by a system check (`kyc.checks`), so one that cannot be
    compiled fails `manage.py check`, `migrate` and a server's start, not its first request.
    """

    # Every read of the process (weakly: one a test makes goes with it), for the check.
    _every: ClassVar["weakref.WeakSet[CompiledRead]"] = weakref.WeakSet()

    def __init__(
        self,
        build: Callable[..., QuerySet],
        *names: str,
        suffix: str = "",
        name: str = "",
        for_no_key_update: bool = False,
    ) -> None:
        self._build, self._names, self._suffix = build, names, suffix
        self._locks_rows = for_no_key_update
        code = getattr(build, "__code__", None)
        self.name = name or f"{build.__module__}, line {code.co_firstlineno if code else '?'}"
        self._lock = threading.Lock()
        self._compiled: dict[str, _Compiled] = {}  # by database alias
        CompiledRead._every.add(self)

    @classmethod
    def every(cls) -> list["CompiledRead"]:
        return sorted(cls._every, key=lambda read: read.name)

    def prepare(self, alias: str = DEFAULT_DB_ALIAS) -> None:
        """Compile now (the start-up check) rather than at the first request."""
        self._compiled_for(alias)

    def rows(self, *suffix_params: Any, **values: Any) -> list[tuple]:
        compiled = self._compiled_for(DEFAULT_DB_ALIAS)  # no database routers here
        params = [
            slot.form(values[slot.name]) if isinstance(slot, _Slot) else slot for slot in compiled.slots
        ]
        connection = connections[compiled.alias]
        if self._locks_rows and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, [*params, *suffix_params])
            rows = cursor.fetchall()
        if not compiled.converters:
            return [tuple(row) for row in rows]
        converted = []
        for row in map(list, rows):
            for pos, convs, expression in compiled.converters:
                for converter in convs:
                    row[pos] = converter(row[pos], expression, connection)
            converted.append(tuple(row))
        return converted

    def _compiled_for(self, alias: str) -> "_Compiled":
        found = self._compiled.get(alias)
        if found is not None:
            return found
        with self._lock:
            if alias not in self._compiled:
                self._compiled[alias] = self._compile(alias)
        return self._compiled[alias]

    def _compile(self, alias: str) -> "_Compiled":
        sentinels = {name: uuid.uuid4() for name in self._names}
        compiler = self._build(**sentinels).query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        # A backend without a UUID type (SQLite) is given the hex form.
        forms = {form(value): _Slot(name, form) for name, value in sentinels.items() for form in _UUID_FORMS}
        slots = [forms.get(param, param) if isinstance(param, uuid.UUID | str) else param for param in params]
        if {slot.name for slot in slots if isinstance(slot, _Slot)} != set(self._names):
            raise ImproperlyConfigured(f"{self._names} are not all parameters of {sql}")
        selected = [column[0] for column in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(selected)
        lock = ""
        if self._locks_rows and compiler.connection.features.has_select_for_update:
            lock = " " + compiler.connection.ops.for_update_sql(no_key=True)
        return _Compiled(
            alias=alias,
            sql=sql + self._suffix + lock,
            slots=slots,
            converters=[(pos, convs, expression) for pos, (convs, expression) in converters.items()],
        )


@dataclass(frozen=True, slots=True)
class _Compiled:
    alias: str
    sql: str
    slots: list[Any]  # each parameter: a _Slot for a run-time value, else the constant
    converters: list[tuple[int, list, Any]]  # column, its converters, its expression


@dataclass(frozen=True, slots=True)
class _Slot:
    name: str  # the keyword value that goes in this parameter's place
    form: Callable[[Any], Any]  # as the backend takes it


def _same(value: uuid.UUID) -> uuid.UUID:
    return value


def _hex(value: uuid.UUID) -> str:
    return value.hex


def _text(value: object) -> str:  # a text column's parameter (Django's CharField gives str())
    return str(value)


_UUID_FORMS: tuple[Callable[[Any], Any], ...] = (_same, _hex, _text)


# What a client sees of a document (kyc.api.document_payload), and its reading's fields.
SUMMARY_FIELDS = (
    "id", "doc_type", "status", "score", "reasons", "failure_reason", "gpu_processed",
    "width", "height", "size_bytes", "created_at", "updated_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    id: uuid.UUID
    doc_type: str
    status: str
    score: int | None
    reasons: list[dict]
    failure_reason: str
    gpu_processed: bool
    width: int | None
    height: int | None
    size_bytes: int
    created_at: dt.datetime
    updated_at: dt.datetime
    fields: dict | None  # what the OCR read (decrypted), None before any reading

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


def _summary(row: tuple) -> DocumentSummary:
    return DocumentSummary(*row[: len(SUMMARY_FIELDS) + 1])


# The list: the page and the whole list's total in one query (the window is computed
# before LIMIT/OFFSET), newest first.
_PAGE = CompiledRead(
    lambda owner: (
        Document.objects.filter(owner_id=owner)
        .order_by("-created_at", "id")
        .annotate(total=Window(Count("pk")))
        .values_list(*SUMMARY_FIELDS, "ocr_result__fields", "total")
    ),
    "owner",
    suffix=" LIMIT %s OFFSET %s",
    name="kyc.selectors._PAGE (the documents list)",
)


def page_documents_for_user(
    *, user: User, page: int, page_size: int
) -> tuple[Sequence[DocumentSummary], int | None]:
    """One page of the user's documents, newest first, and how many there are in all,
    in one query (the total is a window over the whole list, computed before the LIMIT).
    An empty page knows no total (None), unless it is the first: then there are none."""
    start = (page - 1) * page_size
    if start + page_size >= 2**63:  # past any database's OFFSET, and past any real list
        return [], None
    rows = _PAGE.rows(page_size, start, owner=user.pk)
    if rows:
        return [_summary(row) for row in rows], rows[0][-1]
    return [], 0 if page == 1 else None


# The signed-in user's row, every authenticated request (kyc.authentication).
_USER_FIELDS = tuple(field.attname for field in User._meta.concrete_fields)
_USER = CompiledRead(
    lambda user: User.objects.filter(pk=user).values_list(*_USER_FIELDS),
    "user",
    name="kyc.selectors._USER (the signed-in user)",
)


def get_user_by_id(user_id: object) -> User | None:
    """The user with this id (a token's claim), as `User.objects.get` would give it; None if
    there is none or the id is no UUID."""
    try:
        pk = user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        return None
    rows = _USER.rows(user=pk)
    return User.from_db(DEFAULT_DB_ALIAS, list(_USER_FIELDS), rows[0]) if rows else None


_ONE = CompiledRead(
    lambda document, owner: Document.objects.filter(pk=document, owner_id=owner).values_list(
        *SUMMARY_FIELDS, "ocr_result__fields"
    ),
    "document",
    "owner",
    name="kyc.selectors._ONE (a document's detail)",
)


def get_document_summary_for_user(*, user: User, document_id: uuid.UUID | str) -> DocumentSummary:
    """The user's own document with its reading's fields, in one query; another user's
    answers 404 exactly like a missing one."""
    rows = _ONE.rows(document=_uuid_or_404(document_id), owner=user.pk)
    if not rows:
        raise Http404("Not found.")
    return _summary(rows[0])


def _uuid_or_404(value: uuid.UUID | str) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError as error:
        raise Http404("Not found.") from error


def get_document_for_user(*, user: User, document_id: uuid.UUID | str) -> Document:
    """The user's own document; another user's answers 404 exactly like a missing one."""
    try:
        return Document.objects.get(pk=document_id, owner=user)
    except (Document.DoesNotExist, ValidationError, ValueError, TypeError) as error:
        raise Http404("Not found.") from error


TIMELINE_FIELDS = ("from_status", "to_status", "at", "actor_kind", "reason")


@dataclass(frozen=True, slots=True)
class DocumentStatus:
    id: uuid.UUID
    status: str
    score: int | None
    reasons: list[dict]
    timeline: list[dict]  # TIMELINE_FIELDS of every transition, oldest first

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


_TIMELINE_COLUMNS = tuple(f"transitions__{name}" for name in TIMELINE_FIELDS)
# The document LEFT JOINed to its transitions, one row per transition, oldest first.
_STATUS = CompiledRead(
    lambda document, owner: (
        Document.objects.filter(pk=document, owner_id=owner)
        .order_by("transitions__at", "transitions__id")
        .values_list("id", "status", "score", "reasons", "transitions__id", *_TIMELINE_COLUMNS)
    ),
    "document",
    "owner",
    name="kyc.selectors._STATUS (a document's status and timeline)",
)


def get_document_status_for_user(*, user: User, document_id: uuid.UUID | str) -> DocumentStatus:
    """The user's document's status and whole timeline in one query, however long the
    timeline: the document LEFT JOINed to its transitions, one row per transition."""
    rows = _STATUS.rows(document=_uuid_or_404(document_id), owner=user.pk)
    if not rows:
        raise Http404("Not found.")
    found_id, status, score, reasons = rows[0][:4]
    timeline = [dict(zip(TIMELINE_FIELDS, row[5:], strict=True)) for row in rows if row[4] is not None]
    return DocumentStatus(found_id, status, score, reasons, timeline)


# --- an upload's reads (kyc.services.documents.submit_document) --------------------------
_DOCUMENT_FIELDS = tuple(field.attname for field in Document._meta.concrete_fields)
_ACTIVE = sorted(ACTIVE_STATUSES)
# The newest active document of the owner with the same bytes; with an Idempotency-Key,
# the document with that key before it.
_REPEATED = CompiledRead(
    lambda owner, sha256: (
        Document.objects.filter(owner_id=owner, sha256=sha256, status__in=_ACTIVE)
        .order_by("-created_at")
        .values_list(*_DOCUMENT_FIELDS)[:1]
    ),
    "owner",
    "sha256",
    name="kyc.selectors._REPEATED (the document an upload repeats)",
)
_REPEATED_OR_KEYED = CompiledRead(
    lambda owner, sha256, key: (
        Document.objects.filter(Q(sha256=sha256, status__in=_ACTIVE) | Q(idempotency_key=key), owner_id=owner)
        .order_by(Case(When(idempotency_key=key, then=Value(0)), default=Value(1)), "-created_at")
        .values_list(*_DOCUMENT_FIELDS)[:1]
    ),
    "owner",
    "sha256",
    "key",
    name="kyc.selectors._REPEATED_OR_KEYED (the document an upload with an Idempotency-Key repeats)",
)


def find_repeated_upload(*, owner_id: uuid.UUID, sha256: str, idempotency_key: str | None) -> Document | None:
    """The owner's document an upload repeats, in one query: the one with its
    Idempotency-Key (if given), else the newest active one with the same bytes."""
    if idempotency_key:
        rows = _REPEATED_OR_KEYED.rows(owner=owner_id, sha256=sha256, key=idempotency_key)
    else:
        rows = _REPEATED.rows(owner=owner_id, sha256=sha256)
    return Document.from_db(DEFAULT_DB_ALIAS, list(_DOCUMENT_FIELDS), rows[0]) if rows else None


@dataclass(frozen=True, slots=True)
class Uploader:
    erased_at: dt.datetime | None
    is_active: bool
    is_applicant: bool  # an integrator's applicant (kyc.integrations): fixed when the account is made


_UPLOADER = CompiledRead(
    lambda user: User.objects.filter(pk=user).values_list(
        "erased_at", "is_active", Exists(Applicant.objects.filter(user_id=OuterRef("pk")))
    ),
    "user",
    name="kyc.selectors._UPLOADER (the uploading account, its row locked)",
    for_no_key_update=True,
)


def lock_uploader(*, user_id: uuid.UUID) -> Uploader:
    """The uploading account's row, locked until commit (`FOR NO KEY UPDATE`: an erasure
    holding it finishes first and is seen here), and whether it is an applicant's, in one
    query. Inside a transaction only, as `select_for_update`."""
    rows = _UPLOADER.rows(user=user_id)
    if not rows:
        raise User.DoesNotExist("User matching query does not exist.")
    return Uploader(*rows[0])
