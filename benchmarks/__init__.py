"""Performance benchmark of the dashboard against the targets of issue 10: `python -m benchmarks`
(see __main__.py and README.md, section 性能基准 / Benchmarks). The results of the last full run
are in docs/benchmarks.md."""
