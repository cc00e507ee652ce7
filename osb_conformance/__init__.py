"""osb-conformance: a conformance test suite for Open Service Broker API brokers.

The suite is a pytest plugin (registered through the ``pytest11`` entry point as
``osb_conformance.plugin``). Point it at a broker with ``--broker-url``.
"""

from __future__ import annotations

__version__ = "0.1.0"
