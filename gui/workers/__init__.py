"""Threads that run service calls off the UI thread and report back with Qt signals."""
