"""The patient and referral pane."""
