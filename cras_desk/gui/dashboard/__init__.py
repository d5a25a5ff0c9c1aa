"""The team lead's dashboard: demand, waiting list, capacity, early warnings and the unit's activity."""
