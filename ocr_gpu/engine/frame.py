"""The card frame: every card is flattened to CARD_W x CARD_H (the ID-1 card's proportions).

The only fixed geometry the engine keeps lives here, as shares of the card or bounds on
print size in the frame. Where a value is assigned to a field is measured on each card
(its own text lines, its label column; see ktprows and parse), never taken from where a
generator happens to draw things.
"""

CARD_W, CARD_H = 1000, 630
# Print on an ID card is 1.5-7 % of the card's height (12-45 px here); taller blobs are art.
LINE_HEIGHT = (10, 70)
MIN_LINE_WIDTH = 12
# The e-KTP's photo, place and date of issue and signature sit in its right third; text
# found there after a wide gap in a row is that panel, not the row's value.
SIDE_PANEL_SHARE = 0.6
# The print's distance from the card's edge, roughly: where levelling may place it.
PRINT_MARGIN = (30, 16)
