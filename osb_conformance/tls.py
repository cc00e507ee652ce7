"""TLS towards the broker: which certificates to trust, and the client certificate to show.

One SSL context built from ``--broker-ca-bundle``, ``--broker-insecure`` and
``--broker-client-cert`` / ``--broker-client-key`` (httpx 0.28 deprecates passing paths).
"""

from __future__ import annotations

import ssl

import certifi
import pytest

INSECURE_WARNING = "--broker-insecure: the broker's TLS certificate is NOT verified"


def ssl_context(verify: bool | str, client_cert: tuple[str, str] | str | None) -> ssl.SSLContext:
    """The context the client uses; unreadable files are a usage error, not a traceback."""
    try:
        if verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            cafile = verify if isinstance(verify, str) else certifi.where()
            context = ssl.create_default_context(cafile=cafile)
        if client_cert:
            certfile, keyfile = client_cert if isinstance(client_cert, tuple) \
                else (client_cert, None)
            context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise pytest.UsageError(f"osb-conformance: cannot use the TLS files given: {exc}") \
            from None
    return context
