"""Faults from outside: the engine goes away, the container is killed or removed, files are cut off mid-write."""
