"""Users: who may upload and delete (the server's htpasswd file).

Facade: :class:`gui.services.users.store.UserStore`. ``rules`` checks names and
passwords without passlib; ``password_file`` reads lines as the server does.
"""
