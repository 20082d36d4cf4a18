"""LedgerDesk 基层治理台账: offline ledgers of households and problems for township cadres."""

__version__ = "0.1.0"
