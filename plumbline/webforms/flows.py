"""A guided flow's definition (steps, branch rules, result rules), checked as a whole, and how it runs: which
question comes next after the answers so far, and which result the answers (and the contact's fit) lead to."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plumbline.core.errors import DomainError, ValidationFailed

GRADES = "ABCDF"


class Branch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answer: str = Field(min_length=1, max_length=200)
    goto: str = Field(min_length=1, max_length=50)


class Step(BaseModel):
    """One question with its choices; `branches` send given answers elsewhere, else `next` (None: the end)."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_]+$")
    question: str = Field(min_length=1, max_length=300)
    options: list[str] = Field(min_length=2, max_length=20)
    branches: list[Branch] = Field(default_factory=list, max_length=20)
    next: str | None = None


class Result(BaseModel):
    """Where the flow ends: recommended content (from the messaging library by funnel stage and persona) or
    "talk to sales". It applies when every answer named in `when` is one of its values and, with
    `min_fit_grade`, the contact's fit grade is at least that. The first result that applies wins."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_]+$")
    kind: Literal["content", "sales"]
    title: str = Field(min_length=1, max_length=200)
    message: str = Field(default="", max_length=2000)
    when: dict[str, list[str]] = Field(default_factory=dict)
    min_fit_grade: Literal["A", "B", "C", "D", "F"] | None = None
    funnel_stage: Literal["awareness", "consideration", "decision", "retention", ""] = ""
    persona_id: int | None = None


class FlowDefinition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: list[Step] = Field(min_length=1, max_length=30)
    results: list[Result] = Field(min_length=1, max_length=20)

    def step(self, key: str) -> Step | None:
        return next((s for s in self.steps if s.key == key), None)


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(["definition", *(str(p) for p in loc)])


def _links(defn: FlowDefinition) -> list[DomainError]:
    errors: list[DomainError] = []
    keys = [s.key for s in defn.steps]
    if len(set(keys)) != len(keys):
        errors.append(DomainError("Two steps share a key.", field="definition.steps", code="duplicate"))
    for i, step in enumerate(defn.steps):
        targets = [(f"branches.{j}.goto", b.goto) for j, b in enumerate(step.branches)]
        targets += [("next", step.next)] if step.next else []
        for where, target in targets:
            if target not in keys:
                errors.append(DomainError(f"No step {target!r}.", field=f"definition.steps.{i}.{where}"))
        for j, b in enumerate(step.branches):
            if b.answer not in step.options:
                errors.append(DomainError(f"{b.answer!r} is not a choice of this question.",
                                          field=f"definition.steps.{i}.branches.{j}.answer"))
    for i, result in enumerate(defn.results):
        for key, values in result.when.items():
            step = defn.step(key)
            if step is None:
                errors.append(DomainError(f"No step {key!r}.", field=f"definition.results.{i}.when"))
            elif any(v not in step.options for v in values):
                errors.append(DomainError(f"An answer named for {key!r} is not one of its choices.",
                                          field=f"definition.results.{i}.when"))
    return errors


def _cycle(defn: FlowDefinition) -> bool:
    """Whether some path of questions loops (a flow must always end)."""
    state: dict[str, int] = {}

    def visit(key: str) -> bool:
        if state.get(key) == 1:
            return True
        if state.get(key) == 2:
            return False
        state[key] = 1
        step = defn.step(key)
        nexts = [b.goto for b in step.branches] + ([step.next] if step.next else []) if step else []
        looped = any(visit(k) for k in nexts)
        state[key] = 2
        return looped

    return visit(defn.steps[0].key)


def parse_definition(data: Any) -> FlowDefinition:
    """The definition, or ValidationFailed naming each bad part (`definition.steps.0.options` ...)."""
    try:
        defn = FlowDefinition.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed([DomainError(e["msg"], field=_field(e["loc"]), code=e["type"])
                                for e in exc.errors()]) from None
    errors = _links(defn)
    if not errors and _cycle(defn):
        errors.append(DomainError("The steps loop: every path must reach an end.", field="definition.steps",
                                  code="cycle"))
    if errors:
        raise ValidationFailed(errors)
    return defn


def walk(defn: FlowDefinition, answers: dict[str, str]) -> tuple[list[Step], Step | None]:
    """The steps answered in order along the path the answers take, and the next unanswered step (None: done).
    An answer that is not a choice of its question stops the walk there (that question is asked again)."""
    done: list[Step] = []
    step: Step | None = defn.steps[0]
    while step is not None:
        answer = answers.get(step.key)
        if answer not in step.options:
            return done, step
        done.append(step)
        target = next((b.goto for b in step.branches if b.answer == answer), step.next)
        step = defn.step(target) if target else None
    return done, None


def path_answers(defn: FlowDefinition, answers: dict[str, str]) -> dict[str, str]:
    """The answers of a finished flow along its path (others dropped); ValidationFailed if it is not finished."""
    done, pending = walk(defn, answers)
    if pending is not None:
        raise DomainError(f"Answer the question {pending.question!r} first.", field=f"answers.{pending.key}",
                          code="required")
    return {s.key: answers[s.key] for s in done}


def _grade_at_least(grade: str | None, minimum: str) -> bool:
    return grade is not None and grade in GRADES and GRADES.index(grade) <= GRADES.index(minimum)


def choose_result(defn: FlowDefinition, answers: dict[str, str], fit_grade: str | None) -> Result:
    """The first result whose rules hold; the last result when none does."""
    for result in defn.results:
        if all(answers.get(k) in v for k, v in result.when.items()) and (
                result.min_fit_grade is None or _grade_at_least(fit_grade, result.min_fit_grade)):
            return result
    return defn.results[-1]
