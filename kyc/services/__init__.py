"""Every write of the kyc app, by subdomain: accounts, documents, decisions, the reaper,
and the audit trail they all write through.

Writes share one shape: inside `transaction.atomic()` lock the row, call the
transition, save the changed fields, write the audit row; anything that leaves the
process (storage deletes, broker messages) runs after commit. Interfaces (API, admin,
actors, commands) and the reviews app import from here.
"""

from kyc.services.accounts import register_user, update_profile, validate_nik
from kyc.services.audit import (
    apply_transition,
    lock_document,
    record_transition,
    transition_document,
    write_audit_row,
)
from kyc.services.decisions import (
    decide_document,
    ingest_reading,
    ktp_fields_on_file,
    nik_verified_elsewhere,
    save_reading,
    scoring_inputs,
    stored_reading,
)
from kyc.services.documents import dispatch_ocr, fail_ocr, start_kyc_workflow, submit_document
from kyc.services.reaper import ReaperReport, ocr_backlog, reap_stuck_documents
from kyc.services.rescoring import rescore_document, rescore_npwps_after_ktp

__all__ = [
    "ReaperReport",
    "apply_transition",
    "decide_document",
    "dispatch_ocr",
    "fail_ocr",
    "ingest_reading",
    "ktp_fields_on_file",
    "lock_document",
    "nik_verified_elsewhere",
    "ocr_backlog",
    "reap_stuck_documents",
    "record_transition",
    "register_user",
    "rescore_document",
    "rescore_npwps_after_ktp",
    "save_reading",
    "scoring_inputs",
    "start_kyc_workflow",
    "stored_reading",
    "submit_document",
    "transition_document",
    "update_profile",
    "validate_nik",
    "write_audit_row",
]
