"""Every write of the kyc app, by subdomain: accounts, documents, decisions, the reaper,
and the audit trail they all write through.

Writes share one shape: inside `transaction.atomic()` lock the row, call the
transition, save the changed fields, write the audit row; anything that leaves the
process (storage deletes, broker messages) runs after commit. Interfaces (API, admin,
actors, commands) and the reviews app import from here. Personal data (export,
erasure, legal holds) lives in `privacy`, the retention purge in `retention`.
"""

from kyc.integrations.resubmission import request_resubmission
from kyc.services.accounts import (
    change_password,
    redeem_refresh_token,
    register_user,
    update_profile,
    validate_nik,
)
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
from kyc.services.privacy import (
    ErasureReport,
    erase_personal_data,
    export_personal_data,
    lift_legal_hold,
    place_legal_hold,
    record_privacy_event,
    remove_document_files,
    scrub_document,
)
from kyc.services.reaper import ReaperReport, ocr_backlog, reap_stuck_documents
from kyc.services.rescoring import rescore_document, rescore_npwps_after_ktp, rescore_npwps_on_commit
from kyc.services.retention import PurgeReport, purge_document, purge_expired_data, run_retention_purge

__all__ = [
    "ErasureReport",
    "PurgeReport",
    "ReaperReport",
    "apply_transition",
    "change_password",
    "decide_document",
    "dispatch_ocr",
    "erase_personal_data",
    "export_personal_data",
    "fail_ocr",
    "ingest_reading",
    "ktp_fields_on_file",
    "lift_legal_hold",
    "lock_document",
    "nik_verified_elsewhere",
    "ocr_backlog",
    "place_legal_hold",
    "purge_document",
    "purge_expired_data",
    "reap_stuck_documents",
    "record_privacy_event",
    "record_transition",
    "redeem_refresh_token",
    "register_user",
    "remove_document_files",
    "request_resubmission",
    "rescore_document",
    "rescore_npwps_after_ktp",
    "rescore_npwps_on_commit",
    "run_retention_purge",
    "save_reading",
    "scoring_inputs",
    "scrub_document",
    "start_kyc_workflow",
    "stored_reading",
    "submit_document",
    "transition_document",
    "update_profile",
    "validate_nik",
    "write_audit_row",
]
