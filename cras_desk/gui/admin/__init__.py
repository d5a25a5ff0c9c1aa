"""The admins' own screens (users, the audit trail, central settings), each a window of its own
opened from the Admin menu, which only an admin's desk has; the services refuse everyone else."""
