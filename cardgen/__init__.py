"""The synthetic KTP/NPWP card generator: test and demo tooling, never on a production path.

Invented identities on real card layouts (cards), their printed faces (cardart) and phone
photos of them (cardphotos). Excluded from the GPU worker image.
"""
