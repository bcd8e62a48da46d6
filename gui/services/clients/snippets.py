"""The exact lines pip and uv need to use this index, and the dependency-confusion warning."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Snippet:
    title: str
    text: str
    note: str = ""
    warning: bool = False  # the note is a risk, not a tip


DEPENDENCY_CONFUSION = (
    "With --extra-index-url, pip looks at PyPI as well and takes the highest version from either: "
    "anyone who publishes a package with the same name as yours on PyPI can get their code installed "
    "instead. Prefer --index-url with this server (it forwards unknown names to PyPI itself), or uv's "
    "explicit index, which installs a package only from the index you name."
)


def install_command(tool: str, url: str, name: str, version: str) -> str:
    """The command that installs one version from this index: ``tool`` is ``pip`` or ``uv``."""
    prefix = "pip install" if tool == "pip" else "uv pip install"
    return f"{prefix} {name}=={version} --index-url {simple_url(url)}"


def simple_url(url: str) -> str:
    """The index's ``/simple/`` address from its base URL (as in ``.pypirc``)."""
    return f"{url.rstrip('/')}/simple/"


def client_snippets(url: str, name: str = "local", username: str = "USER") -> list[Snippet]:
    """Lines for pip and uv; ``url`` is the server's base URL, as in .pypirc."""
    base = url.rstrip("/")
    simple = simple_url(url)
    return [
        Snippet(
            "pip: install from this index (and PyPI through it)",
            f"pip install PACKAGE --index-url {simple}",
            "The server sends pip to PyPI for names it does not host, so your packages always win.",
        ),
        Snippet(
            "pip: keep PyPI first, add this index",
            f"pip install PACKAGE --extra-index-url {simple}",
            DEPENDENCY_CONFUSION,
            warning=True,
        ),
        Snippet(
            "pip.conf (~/.config/pip/pip.conf): make it the default",
            f"[global]\nindex-url = {simple}\n",
        ),
        Snippet(
            "uv: pyproject.toml",
            f'[[tool.uv.index]]\nname = "{name}"\nurl = "{simple}"\npublish-url = "{base}/"\nexplicit = true\n\n'
            f'[tool.uv.sources]\nPACKAGE = {{ index = "{name}" }}\n',
            "explicit = true: only the packages you list under [tool.uv.sources] come from this index.",
        ),
        Snippet(
            "uv: install and publish",
            f"uv pip install PACKAGE --index-url {simple}\nuv publish --index {name} --username {username} dist/*",
        ),
        Snippet("twine (once ~/.pypirc has this server's section)", f"twine upload -r {name} dist/*"),
    ]


def token_snippets(url: str, token: str, ca_file: str | None = None, name: str = "local") -> list[Snippet]:
    """Ready-to-paste lines for an API token (user ``__token__``), for this server's ``url`` (its base URL) and,
    with HTTPS, the CA file clients must trust. The token is set once, as a variable: on a command line any
    user of the machine could read it (``/proc``), and it would stay in the shell's history."""
    from shlex import quote

    base = url.rstrip("/")
    host = base.split("://", 1)[-1]
    scheme = base.split("://", 1)[0]
    ca = quote(ca_file) if ca_file else ""
    var = "PYPI_DESK_TOKEN"
    setting = f"export {var}={quote(token)}   # or your CI's secret of that name"
    trust_twine = f" --cert {ca}" if ca else ""
    trust_env = f"SSL_CERT_FILE={ca} " if ca else ""
    trust_pip = f" --cert {ca}" if ca else ""
    poetry_trust = f"\npoetry config certificates.{name}.cert {ca}" if ca else ""
    reach = ("A CI runner reaches this server only at an address it can resolve: set the name clients use "
             "(Settings) first." if host.startswith(("127.", "localhost", "[::1]")) else "")  # fmt: skip
    ci_trust = ("\n    TWINE_CERT: ca.pem   # the CA (Export CA certificate…), committed beside the workflow"
                if ca else "")  # fmt: skip
    return [
        Snippet("The token, once (then each line below uses it)", setting),
        Snippet("twine", f"TWINE_USERNAME=__token__ TWINE_PASSWORD=\"${var}\" twine upload --repository-url "
                         f"{base}/{trust_twine} dist/*"),
        Snippet("uv publish", f"{trust_env}UV_PUBLISH_TOKEN=\"${var}\" uv publish --publish-url {base}/ dist/*"),
        Snippet("poetry", f"poetry config repositories.{name} {base}/{poetry_trust}\n"
                          f"POETRY_PYPI_TOKEN_{name.upper()}=\"${var}\" poetry publish -r {name}"),
        Snippet("pip and uv: install with it (a read or publish token)",
                f"PIP_INDEX_URL=\"{scheme}://__token__:${var}@{host}/simple/\" pip install{trust_pip} PACKAGE\n"
                f"{trust_env}UV_INDEX_URL=\"{scheme}://__token__:${var}@{host}/simple/\" uv pip install PACKAGE",
                "Or keep it in this computer's keyring: pypi-desk token create … --keyring."),
        Snippet(f"CI step (GitHub Actions; the token as the secret {var})",
                f"- name: Publish to {host}\n  env:\n    TWINE_USERNAME: __token__\n"
                f"    TWINE_PASSWORD: ${{{{ secrets.{var} }}}}{ci_trust}\n"
                f"  run: twine upload --repository-url {base}/ dist/*", reach),
    ]  # fmt: skip
