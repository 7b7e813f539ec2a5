"""The one error the predictive pipeline raises for data it cannot learn from."""

from __future__ import annotations

from plumbline.core.errors import DomainError


class UnusableTrainingData(DomainError):
    """The table or the target cannot train a model: missing column, one class only, no usable feature."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, field=field, code="unusable_training_data")
