"""The worklist feature: the paged table model, its panel, and live updates from the change feed."""
