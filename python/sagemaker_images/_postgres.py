"""A fresh PostgreSQL database for each server the pytest plugin starts, dropped when the server stops, so
that servers (xdist workers, extra servers) never share a catalog and a run leaves nothing behind."""
from __future__ import annotations

import urllib.parse
import uuid
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:
    import ssl

    import pg8000.native


def _connect(url: str) -> pg8000.native.Connection:
    import ssl

    try:
        import pg8000.native
    except ImportError as error:
        raise RuntimeError(
            "a fresh PostgreSQL database per server needs pg8000: pip install pg8000 (or sagemaker-images[postgres])"
        ) from error
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    sslmode = query.get("sslmode", ["prefer"])[0]
    context: Optional[ssl.SSLContext] = None
    if sslmode == "require":
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif sslmode in ("verify-ca", "verify-full"):
        context = ssl.create_default_context()
        context.check_hostname = sslmode == "verify-full"
    return pg8000.native.Connection(
        user=urllib.parse.unquote(parts.username or "postgres"),
        password=None if parts.password is None else urllib.parse.unquote(parts.password),
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        database=urllib.parse.unquote(parts.path.lstrip("/")) or "postgres",
        ssl_context=context,
    )


def _run(url: str, statement: str) -> None:
    connection = _connect(url)
    try:
        connection.run(statement)
    finally:
        connection.close()


def create_database(url: str, prefix: str = "sagemaker_images") -> tuple[str, Callable[[], None]]:
    """Creates an empty database on the PostgreSQL server of `url` (whose own database is only connected
    to); returns its URL and a function that drops it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _run(url, f'CREATE DATABASE "{name}"')
    parts = urllib.parse.urlsplit(url)
    fresh = urllib.parse.urlunsplit(parts._replace(path="/" + name))

    def drop() -> None:
        _run(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return fresh, drop
