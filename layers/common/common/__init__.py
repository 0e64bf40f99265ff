"""Shared domain of the hotel booking engine (the Lambda layer ``common``)."""
