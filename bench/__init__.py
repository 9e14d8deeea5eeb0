"""Benchmarks of cml_magic: `python -m bench [--quick]` writes docs/benchmarks.md."""
