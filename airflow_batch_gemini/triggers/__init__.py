"""Triggers: poll a Gemini batch job from the triggerer without holding a worker slot."""
