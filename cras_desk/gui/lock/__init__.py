"""Locking an idle desk: an application-wide idle watcher and the lock screen."""
