"""Use cases. No Qt here: each call is one transaction and enforces the caller's role itself."""
