"""Report writers: terminal summary, JSON report, HTML (pytest-html) additions."""
