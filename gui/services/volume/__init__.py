"""A server whose data lives in a named Docker volume, reached only through the Docker API."""
