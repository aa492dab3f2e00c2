"""Loopback fakes of the chat platforms' APIs, for tests and benchmarks."""
