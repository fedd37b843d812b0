"""Rates, quotes, invoices, payments and the coverage ledger (see the contributions issue)."""
