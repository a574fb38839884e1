"""How kyc tells other apps about a document, without importing them.

`document_needs_review` is sent inside the transaction that moves a document to
`needs_review`, with `sender=Document` and `document=<the locked Document>`. A receiver
that raises rolls the decision back with it: the document is never left needing a
review that nobody opened. The reviews app connects `open_manual_review` to it.
"""

from django.dispatch import Signal

document_needs_review = Signal()
