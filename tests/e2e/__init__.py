"""The end-to-end tests: a package, so that the deployment (a package-scoped fixture) stops after
the last test of this folder instead of at the end of the whole session."""
