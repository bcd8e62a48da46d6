"""Backup and restore of a server's data: one archive with a manifest of every file's sha256."""
