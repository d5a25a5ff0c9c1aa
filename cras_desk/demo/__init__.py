"""Synthetic demo data for CRAS Desk: a deterministic, realistic-looking MSK service."""

from __future__ import annotations

from cras_desk.demo.seed import DEMO_PASSWORD, SeedSummary, is_empty, seed_database

__all__ = ["DEMO_PASSWORD", "SeedSummary", "is_empty", "seed_database"]
