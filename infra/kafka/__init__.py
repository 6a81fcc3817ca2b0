"""The log on Kafka: the outbox relay that publishes it, and the gateways' feed that reads it."""
