"""The conformance scenarios: collected when pytest runs with ``--broker-url``.

Each test names the requirement IDs it verifies with ``@pytest.mark.requirement``
and reports through the ``check`` fixture, which grades by the requirement's level.
"""
