"""The whole-suite-per-mutant check (``python -m tests.mutant_isolation``): on a small fixed
sample of mutants known to violate only what they name, it still says so (CI runs this;
the full sweep over every mutant is the slow script itself)."""

from __future__ import annotations

from tests.mutant_isolation import Isolation, check_mutants

ISOLATED_SAMPLE = ("catalog-services-not-array", "request-identity-not-echoed")


def test_comparison_names_missed_and_extra_failures() -> None:
    found = Isolation("m", frozenset({"PROV-012"}), frozenset({"PROV-013"}), ("t::x",), 1)
    assert not found.isolated
    assert found.describe() == ("m (names ['PROV-012']): missed ['PROV-012']; also failed "
                                "['PROV-013']; tests failed without a finding: ['t::x']")
    assert Isolation("m", frozenset({"A-001"}), frozenset({"A-001"}), (), 1).isolated


def test_sample_mutants_violate_only_what_they_name() -> None:
    mismatches = [i.describe() for i in check_mutants(ISOLATED_SAMPLE, jobs=2)
                  if not i.isolated]
    assert mismatches == []
