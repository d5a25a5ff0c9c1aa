"""Signing in: the sign-in dialog, the database connection dialog, and getting the database ready."""
