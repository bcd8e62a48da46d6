"""HTTPS for the server: the app's own certificate authority, the server's certificate, and checks."""
