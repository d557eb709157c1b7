"""Records of client organisations: companies and their service objects (okdesk-api.md §5.4).

Kept apart from model.py so the model stays readable; the Store owns the tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The name Okdesk shows for well-known company parameters added through the shorthand.
PARAMETER_NAMES = {"inn": "ИНН", "kpp": "КПП", "ogrn": "ОГРН"}


@dataclass
class Company:
    id: int
    name: str
    additional_name: str | None = None
    phone: str | None = None
    email: str | None = None
    site: str | None = None
    address: str | None = None
    comment: str | None = None
    crm_1c_id: str | None = None
    active: bool = True
    # Custom parameters in the API shape: [{"code", "name", "field_type", "value"}].
    parameters: list[dict[str, Any]] = field(default_factory=list)

    def parameter(self, code: str) -> Any:
        return next((p["value"] for p in self.parameters if p["code"] == code), None)


@dataclass
class MaintenanceEntity:
    """A service object ("объект обслуживания") of a company."""

    id: int
    name: str
    company_id: int
    address: str | None = None
    active: bool = True
    comment: str | None = None


def company_parameters(
    parameters: Mapping[str, Any] | Iterable[Mapping[str, Any]] | None, inn: str | None
) -> list[dict[str, Any]]:
    """Normalise the add_company forms: {code: value} or full API dicts, plus the inn shorthand."""
    result: list[dict[str, Any]] = []
    if isinstance(parameters, Mapping):
        items: Iterable[Mapping[str, Any]] = [
            {"code": code, "value": value} for code, value in parameters.items()
        ]
    else:
        items = parameters or []
    for item in items:
        code = str(item["code"])
        result.append(
            {
                "code": code,
                "name": item.get("name") or PARAMETER_NAMES.get(code, code),
                "field_type": item.get("field_type", "ftstring"),
                "value": item.get("value"),
            }
        )
    if inn is not None:
        result = [p for p in result if p["code"] != "inn"]
        result.append({"code": "inn", "name": "ИНН", "field_type": "ftstring", "value": inn})
    return result
