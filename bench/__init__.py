"""TestConnection benchmarks: `python -m bench [--quick] [--no-write]` prints markdown tables, writes RESULTS.md.

Every measure is a ratio against a baseline measured in the same run, on the same machine.
"""
