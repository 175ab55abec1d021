"""A form as the person filled it in, and what the API said about it.

Input fields are named exactly as the API's fields (`client.name`, `risks[1].mitigation`), so a
422's field errors land next to the field they concern without a mapping table. The page
turns the submitted text into the API's JSON with the helpers below, changing as little as
possible: a number that is not a number is sent as typed, so the API's own message explains
what is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.ui.api import Answer, FieldProblem

FormValues = Mapping[str, Sequence[str]]
_INDEX = re.compile(r"\[\d+\]$")


def field_id(name: str) -> str:
    """An HTML id for a field name (`risks[1].mitigation` → `f-risks-1--mitigation`)."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


class FormState:
    """Values to show again and problems to show next to the fields.

    Field macros call `remember(name, label)` while the form renders, so the error summary
    (rendered after the fields, shown above them) can name each field and link to it.
    """

    def __init__(
        self, values: FormValues | None = None, problems: Iterable[FieldProblem] = (),
        defaults: Mapping[str, Any] | None = None,
    ) -> None:
        self._values: dict[str, list[str]] = {k: list(v) for k, v in (values or {}).items()}
        for name, value in (defaults or {}).items():
            if name not in self._values and value is not None:
                self._values[name] = ([str(v) for v in value] if isinstance(value, list | tuple)
                                      else [_as_text(value)])
        self.submitted = values is not None
        self.problems = list(problems)
        self._labels: dict[str, str] = {}

    @classmethod
    def from_form(cls, form: Any, problems: Iterable[FieldProblem] = ()) -> FormState:
        names = list(dict.fromkeys(form.keys()))
        values = {name: [str(v) for v in form.getlist(name)] for name in names if name != "csrf"}
        return cls(values, problems)

    # --- what the templates ask ---------------------------------------------------------

    def value(self, name: str, default: str = "") -> str:
        found = self._values.get(name)
        return found[0] if found else default

    def values(self, name: str) -> list[str]:
        return self._values.get(name, [])

    def checked(self, name: str, value: str = "true") -> bool:
        return value in self._values.get(name, [])

    def remember(self, name: str, label: str) -> str:
        self._labels[name] = label
        return ""

    def errors(self, name: str) -> list[FieldProblem]:
        return [p for p in self.problems if _belongs(p.field, name)]

    def field_of(self, problem: FieldProblem) -> str | None:
        """The rendered field a problem belongs to (None: it concerns the whole form)."""
        for name in self._labels:
            if _belongs(problem.field, name):
                return name
        return None

    def label_of(self, name: str | None) -> str | None:
        return None if name is None else self._labels.get(name)

    @property
    def has_errors(self) -> bool:
        return bool(self.problems)

    # --- after the API answered -----------------------------------------------------------

    def with_problems(self, problems: Iterable[FieldProblem], fields: Iterable[str]) -> FormState:
        """Attach a 422's problems. A rule about the whole request (a model-level check, field
        `request`) is shown at the field its message names; when it names several, at the one
        named last ("a decline for reason 'other' needs a note": the note). A message naming
        none stays in the summary above the form."""
        names = list(fields)
        self.problems = [_placed(p, names) for p in problems]
        return self


@dataclass(frozen=True)
class Sent:
    """A form the page sent on to the API (`Page.send`): the API's answer, and what to show
    when it was refused."""

    answer: Answer
    form: FormState  # what the person sent, with a 422's problems at their fields

    @property
    def ok(self) -> bool:
        return self.answer.ok

    @property
    def status(self) -> int:
        return self.answer.status

    @property
    def refusal(self) -> str:
        """The refusal to show above the form: none for a 422 (its problems sit at the
        fields), the API's message for any other."""
        return "" if self.answer.status == 422 else self.answer.message


def _placed(problem: FieldProblem, names: list[str]) -> FieldProblem:
    if problem.field != "request":
        return problem
    last: dict[str, int] = {}
    for name in names:
        spots = [m.start() for m in re.finditer(rf"\b{re.escape(name.rsplit('.', 1)[-1])}\b",
                                                problem.message)]
        if spots:
            last[name] = spots[-1]
    if not last:
        return problem
    return FieldProblem(max(last, key=lambda name: last[name]), problem.message)


def _belongs(field: str, name: str) -> bool:
    return field == name or _INDEX.sub("", field) == name


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else ""
    return str(value)


# --- from the form's text to the API's JSON -----------------------------------------------


def text(form: Any, name: str) -> str | None:
    """The trimmed text, or None when left empty (the API's default then applies)."""
    value = form.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def whole(form: Any, name: str) -> int | str | None:
    """A whole number; anything else goes to the API as typed, to be refused with a reason."""
    value = text(form, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value


def money(form: Any, name: str) -> str | None:
    """Euros as the API reads them: "1.450,50" and "1450,5" become "1450.50" / "1450.5"."""
    value = text(form, name)
    if value is None:
        return None
    value = value.replace("€", "").replace(" ", "")
    if "," in value:
        value = value.replace(".", "").replace(",", ".")
    return value


def listed(form: Any, name: str) -> list[str]:
    return [str(v).strip() for v in form.getlist(name) if str(v).strip()]


def flag(form: Any, name: str) -> bool:
    return form.get(name) in ("true", "on", "1")


def lines(form: Any, name: str) -> list[str]:
    """A text area, one item per line."""
    return [line.strip() for line in str(form.get(name) or "").splitlines() if line.strip()]


def without_empty(body: dict[str, Any]) -> dict[str, Any]:
    """Leave out what was not filled in, so the API applies its own defaults."""
    return {k: v for k, v in body.items() if v is not None}
