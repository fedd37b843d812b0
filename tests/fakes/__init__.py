"""Fakes of outside providers that answer as the providers' documentation says (each cites its page)."""
