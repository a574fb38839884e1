"""How kyc tells other apps about a document, without importing them.

`document_needs_review` is sent inside the transaction that moves a document to
`needs_review`, with `sender=Document`, `document=<the locked Document>` and
`reason=<why a human decides it when the score alone would not>` (an NPWP whose KTP
has not passed; '' when the score is in between the thresholds). A receiver
that raises rolls the decision back with it: the document is never left needing a
review that nobody opened. The reviews app connects `open_manual_review` to it.

`personal_data_removed` is sent inside the transaction that removes a document's
personal data (the owner's erasure or the retention purge), with `sender=Document` and
`document=<the locked Document>`: each app scrubs what it holds about the document
(reviews: the masked NIK, reviewers' free-text reasons) in the same transaction.

`document_left_review` is sent inside the transaction that moves a `needs_review`
document to a decision no reviewer took (a re-score made the score decisive:
kyc.services.rescoring), with `sender=Document`, `document=<the locked Document>` and
`reason=<why>`; the document's new status says what was decided. The reviews app closes
the document's review in the same transaction (completed, or failed for a retake).

`document_decision_held` is sent inside a re-score's transaction, before the system
would decide a `needs_review` document on its new score, with `sender=Document` and
`document=<the locked Document>`. A receiver returning a reason (a non-empty string)
holds the decision: the new score is recorded, the document stays in `needs_review` for
whoever has it. The reviews app holds it while BULI2 holds a case for the review
(forwarded, or claimed here while it was being sent: BULI2 decides it; there is no call
to withdraw a case from BULI2).
"""

from django.dispatch import Signal

document_needs_review = Signal()
personal_data_removed = Signal()
document_left_review = Signal()
document_decision_held = Signal()
