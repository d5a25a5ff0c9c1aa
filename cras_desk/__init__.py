"""CRAS Desk: desktop client of an NHS MSK Clinical Referral and Assessment Service."""

__version__ = "0.1.0"
