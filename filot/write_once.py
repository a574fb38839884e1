"""Write-once storage: create a file only if nothing has its name yet, in one operation.

The check and the write are one step on the storage itself, so of writers racing for one
name exactly one lands and every other one is told it lost (`create_once` answers False):

- S3-compatible storage (R2 in production): `PutObject` with `If-None-Match: *`. The store
  answers 412 PreconditionFailed when the object exists; 409 ConditionalRequestConflict
  when another write to the same key is in flight, which AWS asks to retry.
- Local media (the embedded mode): the bytes go to a temporary file beside the name
  (`.<name>.<random>.partial`, flushed to disk), which is then hard-linked to the name;
  `link` fails when the name exists. The name never shows a half-written file, and a
  leftover `.partial` of a killed writer sits in the document's folder, deleted with it.

An object is written whole or not at all on both (a PutObject is atomic), so a file found
at the name is a complete write of whoever won.
"""

import os
import tempfile
import time
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.utils._os import safe_makedirs

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from storages.backends.s3 import S3Storage

# A 409 means another conditional write to the key was in flight; the next try meets its
# outcome (412 if it landed). After this many the error goes up: the caller's retry.
CONFLICT_ATTEMPTS = 4
CONFLICT_BACKOFF_SECONDS = 0.05


def create_once(name: str, data: bytes, *, storage: Storage = default_storage) -> bool:
    """Store `data` at `name` unless something is there already: True when this call's
    bytes landed, False when the name was taken (by an earlier or a racing writer)."""
    if isinstance(storage, FileSystemStorage):
        return _link_if_absent(storage, name, data)
    from storages.backends.s3 import S3Storage  # boto3: loaded only where storage is S3

    if isinstance(storage, S3Storage):
        return _put_if_absent(storage, name, data)
    raise ImproperlyConfigured(f"{type(storage).__name__} has no write-once operation (filot/write_once.py)")


def _put_if_absent(storage: "S3Storage", name: str, data: bytes) -> bool:
    from botocore.exceptions import ClientError
    from storages.utils import clean_name

    key = storage._normalize_name(clean_name(name))
    # The storage's own parameters (ACL private, content type), as its save() would send.
    params = storage._get_write_parameters(key)
    client = storage.connection.meta.client
    for attempt in range(1, CONFLICT_ATTEMPTS + 1):
        try:
            client.put_object(Bucket=storage.bucket_name, Key=key, Body=data, IfNoneMatch="*", **params)
            return True
        except ClientError as error:
            refusal = _refusal(error)
            if refusal == "exists":
                return False
            if refusal != "in flight" or attempt == CONFLICT_ATTEMPTS:
                raise
            time.sleep(CONFLICT_BACKOFF_SECONDS * attempt)
    raise AssertionError("unreachable")  # the loop returns or raises


def _refusal(error: "ClientError") -> str | None:
    """Why a conditional PutObject was refused: the object exists (412; If-None-Match is
    the only condition sent), another conditional write of the key is in flight (409
    ConditionalRequestConflict), or anything else (None)."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    code = error.response.get("Error", {}).get("Code")
    if status == 412 or code == "PreconditionFailed":
        return "exists"
    if status == 409 and code in (None, "ConditionalRequestConflict"):
        return "in flight"
    return None


def _link_if_absent(storage: FileSystemStorage, name: str, data: bytes) -> bool:
    path = storage.path(name)
    directory, base = os.path.split(path)
    if storage.directory_permissions_mode is not None:
        safe_makedirs(directory, storage.directory_permissions_mode, exist_ok=True)
    else:
        os.makedirs(directory, exist_ok=True)
    fd, partial = tempfile.mkstemp(prefix=f".{base}.", suffix=".partial", dir=directory)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if storage.file_permissions_mode is not None:
            os.chmod(partial, storage.file_permissions_mode)
        try:
            os.link(partial, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(partial)
