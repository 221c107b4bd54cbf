"""Hooks: the only modules that talk to Vertex AI and Cloud Storage."""
