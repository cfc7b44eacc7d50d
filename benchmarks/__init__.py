"""alc's benchmark suite: ``python -m benchmarks`` runs every comparison side by side."""
