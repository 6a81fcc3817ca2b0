"""Accounts' adapters: the erasable credential store (passwords, sessions, second factors),
access tokens, the rate limiter, and the wiring of them into the account use cases."""
