"""Local stand-ins and helpers for tests."""
