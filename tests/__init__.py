"""The project's own tests of the suite."""
