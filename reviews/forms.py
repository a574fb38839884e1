from django import forms
from django.utils.translation import gettext

ACTIONS = ("claim", "release", "approve", "reject", "fail", "reopen", "reveal")
NEEDS_REASON = frozenset({"approve", "reject", "fail", "reveal"})


class ReviewActionForm(forms.Form):
    """One button on the review page; decisions, failures and NIK reveals need a reason."""

    action = forms.ChoiceField(choices=[(action, action) for action in ACTIONS])
    reason = forms.CharField(required=False, max_length=500, strip=True)

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("action") in NEEDS_REASON and not data.get("reason"):
            self.add_error("reason", gettext("A reason is required for this action."))
        return data
