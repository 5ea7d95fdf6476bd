"""The single source of the package version (read by pyproject.toml and exposed as ``__version__``)."""

__version__ = "5.10.0"
