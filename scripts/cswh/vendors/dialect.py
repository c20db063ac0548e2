"""Vendor dialects of the synthetic world: the same world, delivered in vendors' table shapes.

``cswh generate --dialect stripe,zendesk,hubspot,segment`` writes the native world, then each
named vendor's writer (:meth:`cswh.vendors.base.Adapter.write_dialect`) rewrites the entities its
adapter delivers as the vendor's tables under ``<landing>/<vendor>/``, removes their native
files, and the source-systems file is written beside them. Loaded and built, a dialect world
gives the native world's marts except for the documented differences (docs/sources/).
"""

from __future__ import annotations

from pathlib import Path

from cswh.vendors import VENDORS, make_adapter
from cswh.vendors.base import NativeWorld
from cswh.vendors.config import SOURCE_SYSTEMS_FILE, write_source_systems


def parse_dialect(text: str) -> list[str]:
    """``'stripe,zendesk'`` -> ``['stripe', 'zendesk']``; one vendor per source system."""
    vendors = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in vendors if name not in VENDORS]
    if unknown:
        raise ValueError(f"unknown vendor(s) {', '.join(unknown)} (known: {', '.join(VENDORS)})")
    systems: dict[str, str] = {}
    for vendor in vendors:
        system = make_adapter(vendor).source_system
        if system in systems:
            raise ValueError(f"{systems[system]} and {vendor} both deliver {system}; name one")
        systems[system] = vendor
    return vendors


def write_dialect_landing(landing: Path, vendors: list[str]) -> dict[str, int]:
    """Rewrite a native landing folder's entities in the vendors' shapes; files written each."""
    native = NativeWorld(landing)
    written: dict[str, int] = {}
    systems: dict[str, dict] = {}
    for vendor in vendors:
        adapter = make_adapter(vendor)
        out_dir = landing / vendor
        world_settings = adapter.write_dialect(native, out_dir) or {}
        for entity in adapter.produces:
            native.remove(entity)
        written[vendor] = sum(1 for path in out_dir.rglob("*") if path.is_file())
        systems[adapter.source_system] = {"vendor": vendor, **adapter.settings, **world_settings}
    write_source_systems(landing / SOURCE_SYSTEMS_FILE, systems)
    return written
