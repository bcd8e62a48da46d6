"""Which Docker engine runs a server: this machine's, a ``docker context``, or a URL (unix, tcp, ssh)."""
