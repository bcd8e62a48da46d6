"""What the index is used for: downloads as the server recorded them, the figures drawn from them, and
cleanup by rules (a preview, then a trash or an archive)."""
