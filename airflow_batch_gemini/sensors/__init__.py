"""Sensors: wait on a Gemini batch job submitted elsewhere."""
