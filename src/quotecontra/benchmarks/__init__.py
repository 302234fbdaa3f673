"""Benchmarks behind `make bench`: each module's main() writes one JSON under experiments/bench/."""
