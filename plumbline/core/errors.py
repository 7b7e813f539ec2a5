"""Domain errors carry the field they are about, so API and UI can show them next to that field."""

from __future__ import annotations


def error_body(message: str, errors: list[dict]) -> dict:
    """The API's one error body: a message and, per error, the field it is about, why, and a code."""
    return {"message": message, "errors": errors}


class DomainError(Exception):
    """A request that the domain refuses: bad input or an illegal move. Never a 500."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "message": self.message, "code": self.code}


class ValidationFailed(DomainError):
    """One or more field errors; `errors` keeps all of them."""

    def __init__(self, errors: list[DomainError]) -> None:
        first = errors[0]
        super().__init__(first.message, field=first.field, code=first.code)
        self.errors = errors


class MissingReferences(ValidationFailed):
    """Well-formed input whose ids (or emails) name records that do not exist: 422, as the API's body ids."""

    status = 422


class Conflict(DomainError):
    status = 409

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field, code="conflict")


class NotFound(DomainError):
    status = 404

    def __init__(self, message: str = "Not found.", *, field: str | None = None) -> None:
        super().__init__(message, field=field, code="not_found")


class PermissionDenied(DomainError):
    status = 403

    def __init__(self, message: str = "You do not have permission to do this.", *, field: str | None = None) -> None:
        super().__init__(message, field=field, code="forbidden")
