"""Machine-readable spec data shipped with osb-conformance (as ``osb_conformance.specs``).

- ``requirements.yaml``: the requirement catalogue (stable IDs, levels, spec sections).
- ``*.schema.json``: JSON Schemas of OSB objects and of the JSON report.
"""
