"""Booking: the slot finder, booking in three keys, and cancel / rebook / DNA on the live booking."""
