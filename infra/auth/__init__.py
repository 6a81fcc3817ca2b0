"""Accounts: the erasable credential store, password hashing and access tokens."""
