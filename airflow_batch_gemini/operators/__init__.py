"""Operators: orchestrate the hooks for each step of a Gemini batch job."""
