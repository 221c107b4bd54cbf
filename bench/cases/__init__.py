"""The bench cases; importing this package registers them. Add yours as a module and import it here."""

from bench.cases import hostile, output, storage, trigger, validation

__all__ = ["hostile", "output", "storage", "trigger", "validation"]
