"""Test brokers used to exercise the osb-conformance suite."""
