"""The event log: eventsourcing's recorders, Hearth's codec and crypto-shredding key store."""
