"""The OCR benchmark: scoring readings against a card set's truth, and its printed report."""
