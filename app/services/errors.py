"""Domain errors: each says what went wrong in words a person can act on."""


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    #: Machine-readable code for the API's ``{"error": CODE}``.
    code = "invalid"
    #: HTTP status the API and pages answer with.
    status = 409

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    code = "not_found"
    status = 404


class ValidationFailed(DomainError):
    code = "invalid"
    status = 422


class Conflict(DomainError):
    code = "conflict"
    status = 409


class EmailTaken(Conflict):
    code = "email_taken"


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
