"""Read-model adapters: SQL tables that projections write and the API queries."""
