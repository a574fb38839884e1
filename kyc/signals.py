"""How kyc tells other apps about a document, without importing them.

`document_needs_review` is sent inside the transaction that moves a document to
`needs_review`, with `sender=Document` and `document=<the locked Document>`. A receiver
that raises rolls the decision back with it: the document is never left needing a
review that nobody opened. The reviews app connects `open_manual_review` to it.

`personal_data_removed` is sent inside the transaction that removes a document's
personal data (the owner's erasure or the retention purge), with `sender=Document` and
`document=<the locked Document>`: each app scrubs what it holds about the document
(reviews: the masked NIK, reviewers' free-text reasons) in the same transaction.
"""

from django.dispatch import Signal

document_needs_review = Signal()
personal_data_removed = Signal()
