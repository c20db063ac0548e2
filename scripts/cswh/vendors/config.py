"""The source-systems file: which vendor feeds each source system, and its mapping settings.

It is ``<landing>/_source_systems.yml`` unless ``CSWH_SOURCE_SYSTEMS`` names another file; no
file means every source system delivers the native contract. Example::

    billing:
      vendor: stripe
      account_metadata_key: crm_account_id   # customer.metadata key holding the CRM account id
    support_desk:
      vendor: zendesk
    crm:
      vendor: hubspot
    product_usage:
      vendor: segment

A source system left out, or set to ``vendor: native``, delivers the native contract. Entities
a vendor has no table for (onboarding projects, goals, CSM pulses, exchange rates) are always
delivered natively, beside the vendor's folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cswh import settings as cswh_settings
from cswh.contracts import SOURCES
from cswh.vendors import VENDORS, adapter_class
from cswh.vendors.base import Adapter

SOURCE_SYSTEMS_ENV = "CSWH_SOURCE_SYSTEMS"
SOURCE_SYSTEMS_FILE = "_source_systems.yml"
NATIVE = "native"


class SourceSystemsError(ValueError):
    """The source-systems file cannot be used; the message names the file and the fix."""


@dataclass
class SourceSystems:
    path: Path | None
    adapters: dict[str, Adapter] = field(default_factory=dict)  # vendor -> adapter

    def adapter_for_entity(self, entity: str) -> Adapter | None:
        """The adapter that delivers a contract entity, if a configured vendor does."""
        return next((a for a in self.adapters.values() if entity in a.produces), None)


def source_systems_path(landing: Path) -> Path:
    return cswh_settings.source_systems_file() or landing / SOURCE_SYSTEMS_FILE


def parse_source_systems(document: Any, path: Path | None) -> SourceSystems:
    where = str(path) if path else "the source systems"
    if document is None:
        return SourceSystems(path)
    if not isinstance(document, dict):
        raise SourceSystemsError(
            f"{where}: expected a mapping of source system to settings, e.g. "
            "'billing: {vendor: stripe}'"
        )
    systems = SourceSystems(path)
    for system, settings in document.items():
        if system not in SOURCES:
            raise SourceSystemsError(
                f"{where}: unknown source system '{system}' (known: {', '.join(SOURCES)})"
            )
        if isinstance(settings, str):
            settings = {"vendor": settings}
        if not isinstance(settings, dict) or "vendor" not in settings:
            raise SourceSystemsError(
                f"{where}: {system} needs a vendor, e.g. '{system}: {{vendor: {NATIVE}}}'"
            )
        settings = dict(settings)
        vendor = str(settings.pop("vendor")).strip().lower()
        if vendor == NATIVE:
            if settings:
                raise SourceSystemsError(f"{where}: {system} is native and takes no settings")
            continue
        if vendor not in VENDORS:
            raise SourceSystemsError(
                f"{where}: {system}: unknown vendor '{vendor}' (known: {', '.join(VENDORS)}, "
                f"{NATIVE})"
            )
        cls = adapter_class(vendor)
        if cls.source_system != system:
            raise SourceSystemsError(
                f"{where}: {vendor} delivers {cls.source_system}, not {system}; write "
                f"'{cls.source_system}: {{vendor: {vendor}}}'"
            )
        try:
            systems.adapters[vendor] = cls(settings)
        except ValueError as error:
            raise SourceSystemsError(f"{where}: {error}") from None
    return systems


def read_source_systems(landing: Path) -> SourceSystems:
    """The source systems for a landing folder (all native when there is no file)."""
    path = source_systems_path(landing)
    if not path.is_file():
        if cswh_settings.source_systems_file():
            raise SourceSystemsError(
                f"{SOURCE_SYSTEMS_ENV}={path} does not exist; point it at the source-systems file"
            )
        return SourceSystems(None)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SourceSystemsError(f"{path}: cannot be read as YAML ({error})") from None
    return parse_source_systems(document, path)


def write_source_systems(path: Path, systems: dict[str, dict[str, Any]]) -> None:
    path.write_text(yaml.safe_dump(systems, sort_keys=False), encoding="utf-8")
