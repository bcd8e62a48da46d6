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
    with HTTPS, the CA file clients must trust."""
    base = url.rstrip("/")
    trust = {"twine": "", "uv": "", "poetry": "", "ci": ""}
    if ca_file:
        trust = {
            "twine": f" --cert {ca_file}",
            "uv": f"SSL_CERT_FILE={ca_file} ",
            "poetry": f"\npoetry config certificates.{name}.cert {ca_file}",
            "ci": f"\n    TWINE_CERT: {ca_file}",
        }
    host = base.split("://", 1)[-1]
    scheme = base.split("://", 1)[0]
    return [
        Snippet("twine (environment variables)",
                f"TWINE_USERNAME=__token__ TWINE_PASSWORD={token} \\\n  twine upload --repository-url {base}/"
                f"{trust['twine']} dist/*"),
        Snippet("uv publish", f"{trust['uv']}UV_PUBLISH_TOKEN={token} uv publish --publish-url {base}/ dist/*"),
        Snippet("poetry",
                f"poetry config repositories.{name} {base}/\npoetry config pypi-token.{name} {token}{trust['poetry']}\n"
                f"poetry publish -r {name}"),
        Snippet("pip and uv: install with it (a read or publish token)",
                f"pip install PACKAGE --index-url {scheme}://__token__:{token}@{host}/simple/",
                "Or leave it out of the URL and put it in the keyring: pypi-desk token create … --keyring."),
        Snippet("CI step (GitHub Actions; the token as the secret PYPI_DESK_TOKEN)",
                f"- name: Publish to {host}\n  env:\n    TWINE_USERNAME: __token__\n"
                f"    TWINE_PASSWORD: ${{{{ secrets.PYPI_DESK_TOKEN }}}}{trust['ci']}\n"
                f"  run: twine upload --repository-url {base}/ dist/*"),
    ]  # fmt: skip
