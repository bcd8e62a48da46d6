"""Runs every check for one data folder, in the order a user would fix them."""

from __future__ import annotations

from gui.services.core import DeskServices
from gui.services.doctor import (
    cache_checks,
    client_checks,
    file_checks,
    package_checks,
    server_checks,
    tls_checks,
    token_checks,
    usage_checks,
    volume_checks,
)
from gui.services.doctor.findings import Finding, Outcome
from gui.services.engines.choice import Engine
from gui.services.errors import DeskError
from gui.services.index.settings import ServerSettings


def diagnose(services: DeskServices) -> list[Finding]:
    """Every check for ``services``' data folder; a settings file that cannot be used is checked on the defaults."""
    findings: list[Finding] = []
    try:
        settings = services.server.load_settings()
    except DeskError as exc:
        findings.append(Finding("Settings", Outcome.PROBLEM, str(exc), "Fix or delete the settings file."))
        settings = ServerSettings()
    engine = server_checks.engine(services, settings)
    findings += [engine, server_checks.image(services, settings, engine)]
    status, trouble = server_checks.server_status(services, settings)
    if trouble is not None:
        findings.append(trouble)
    if services.data_dir.is_volume:  # everything through the engine: the data is not on this disk
        if Engine(services.data_dir.engine).is_local:  # a port of this computer: worth a look
            findings.append(server_checks.port(settings, status, services))
        findings += [volume_checks.volume(services, status), volume_checks.password_file(services, settings)]
        findings.append(package_checks.index_database(services))
    else:
        findings += [
            server_checks.port(settings, status, services),
            file_checks.data_dir(services, status),
            file_checks.package_files(services, settings, status),
            package_checks.whole_files(services),
            package_checks.index_database(services),
            file_checks.password_file(services, settings, status),
        ]
    findings += [
        file_checks.users(services, settings),
        token_checks.tokens(services),
        usage_checks.download_records(services, settings),
        cache_checks.upstream_cache(services, settings),
        file_checks.pypirc(services, settings),
        client_checks.keyring(services, settings),
        client_checks.keyring_command(services, settings),
        tls_checks.certificate(services, settings),
        tls_checks.trust_overrides(services, settings),
        server_checks.index(status, settings, services.server.tls.verify(settings)),
    ]
    return findings
