"""Code list data files (JSON), read by :mod:`ledgerlink.domain.codes`; see ``refresh.py``."""
