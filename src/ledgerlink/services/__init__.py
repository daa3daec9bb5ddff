"""Application services: use cases that combine the pure domain with the store, one module each."""
