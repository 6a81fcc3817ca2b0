"""The key directory's storage: users' published X3DH keys (docs/protocol/e2ee.md)."""
