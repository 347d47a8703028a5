"""Trợ lý CCHC: the roof: the ``cchc`` command line and the composition root."""

__version__ = "0.1.0"
