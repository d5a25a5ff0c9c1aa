"""Pure-Python rules of the service: no Qt, no database."""
