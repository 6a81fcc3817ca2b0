"""The domain's exception tree.

Business rules raise these, never ``assert`` (asserts vanish under ``python -O``).
The API layer maps each class to an HTTP status and a stable error code.
"""


class DomainError(Exception):
    """A command was refused by a business rule."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The aggregate named by the command does not exist (or is not visible)."""

    code = "not_found"


class AlreadyExists(DomainError):
    """The aggregate the command would create exists already."""

    code = "already_exists"


class Forbidden(DomainError):
    """The actor may not do this."""

    code = "forbidden"


class InvalidCommand(DomainError):
    """The command's values break an invariant (length, state, shape)."""

    code = "invalid"


class Conflict(DomainError):
    """The aggregate changed under the command; retrying may succeed."""

    code = "conflict"
