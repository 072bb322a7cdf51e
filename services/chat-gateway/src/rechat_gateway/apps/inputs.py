"""The inputs a turn sends, from the app's form (Dify's `user_input_form`).

Workflow and completion apps have no `query`: the message box fills their first required text
input, whatever its name (`query`, `question`, `text`...), and the SPA leaves that field out of
the form. A required input still empty is refused before anything is recorded, with its label.
"""

from __future__ import annotations

from typing import Any

from rechat_shared.errors import MissingInput

TEXT_INPUTS = ("text-input", "paragraph")
MODES_WITHOUT_QUERY = frozenset({"workflow", "completion"})


def form_fields(user_input_form: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(type, field) of each item: Dify nests a field under its type (`{"text-input": {...}}`)."""
    fields: list[tuple[str, dict[str, Any]]] = []
    for item in user_input_form:
        for kind, field in item.items():
            if isinstance(field, dict) and isinstance(field.get("variable"), str):
                fields.append((kind, field))
    return fields


def query_input(mode: str, user_input_form: list[dict[str, Any]]) -> str | None:
    """The input the message box fills: for an app without `query`, its first required text
    input, else its first text input; None for chat apps (their query is `query`)."""
    if mode not in MODES_WITHOUT_QUERY:
        return None
    texts = [field for kind, field in form_fields(user_input_form) if kind in TEXT_INPUTS]
    required = [field for field in texts if field.get("required")]
    candidates = required or texts
    return str(candidates[0]["variable"]) if candidates else None


def turn_inputs(
    mode: str, user_input_form: list[dict[str, Any]], query: str, inputs: dict[str, Any]
) -> dict[str, Any]:
    """The inputs to send: the message box's text in the app's query input, and every required
    input filled (400 `missing_input` naming the first one that is not)."""
    filled = dict(inputs)
    variable = query_input(mode, user_input_form)
    if variable is not None and not _present(filled.get(variable)):
        filled[variable] = query
    if mode in MODES_WITHOUT_QUERY:
        for _, field in form_fields(user_input_form):
            if field.get("required") and not _present(filled.get(field["variable"])):
                label = field.get("label") or field["variable"]
                raise MissingInput(f"Fill in “{label}” before sending")
    return filled


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []
