"""Infrastructure errors, translated from the engines' own at the adapter edge."""


class InfraError(Exception):
    """Base of infrastructure failures the API reports as a 5xx or the CLI as one line."""


class ConfigurationError(InfraError):
    """A setting is missing, unknown or unusable; the node refuses to start."""


class StorageUnavailable(InfraError):
    """The database cannot be reached or written."""


class ProjectionFailed(InfraError):
    """A projection could not apply an event; it stopped there rather than skip it."""
