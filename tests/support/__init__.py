"""Test helpers shared by every level."""
