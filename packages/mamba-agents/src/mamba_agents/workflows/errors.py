"""Why a workflow stopped early: one error per limit, each naming the limit and its value."""

from __future__ import annotations


class WorkflowError(Exception):
    """A workflow could not finish. ``reason`` is the ``termination_reason`` its result reports;
    ``partial_output`` (e.g. the last draft) becomes the result's ``output``."""

    reason = "error"
    limit: str | None = None

    def __init__(
        self, message: str, *, value: float | int | None = None, partial_output: object = None
    ) -> None:
        super().__init__(message)
        self.value = value
        self.partial_output = partial_output


class WorkflowLimitError(WorkflowError):
    """A configured bound stopped the run; ``limit`` is the ``WorkflowConfig`` field that did."""


class WorkflowTimeoutError(WorkflowLimitError, TimeoutError):
    reason = "timeout"
    limit = "timeout_seconds"


class WorkflowStepTimeoutError(WorkflowLimitError, TimeoutError):
    reason = "step_timeout"
    limit = "step_timeout_seconds"

    def __init__(self, message: str, *, value: float | None = None, step_number: int | None = None) -> None:
        super().__init__(message, value=value)
        self.step_number = step_number


class WorkflowMaxStepsError(WorkflowLimitError):
    reason = "max_steps"
    limit = "max_steps"


class WorkflowMaxIterationsError(WorkflowLimitError):
    reason = "max_iterations"
    limit = "max_iterations"


class WorkflowExecutionError(WorkflowError):
    """A step failed in a way the workflow could not recover from."""
