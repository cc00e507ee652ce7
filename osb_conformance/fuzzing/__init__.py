"""Property-based fuzzing from each plan's own schemas: strategies, one-way schema
violations, the lifecycle state machine, the budget and the runner that turns
Hypothesis' minimal falsifying examples into findings."""
