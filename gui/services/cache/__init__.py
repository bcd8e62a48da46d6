"""The cache of upstream's projects, as the app sees and tends it: the network the server reaches upstream
through, upstream's credentials, the cached projects, clearing them, and sets fetched for offline machines."""
