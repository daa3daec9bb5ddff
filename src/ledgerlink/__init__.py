"""ledgerlink: an open, self-hostable accounting integration hub."""

__version__ = "0.1.0"
