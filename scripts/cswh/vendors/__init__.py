"""Vendor adapters: Stripe, Chargebee, Zendesk, HubSpot, Salesforce and product events.

``<landing>/<vendor>/<table>/`` holds a vendor's tables as ELT tools land them; the
source-systems file (:mod:`cswh.vendors.config`) says which vendor feeds each source system and
its mapping settings. The loader maps them to the contract (:mod:`cswh.vendors.loading`) with the
guarantees of a native extract. ``docs/sources/<vendor>.md`` documents each adapter.
"""

from __future__ import annotations

import importlib
from typing import Any

from cswh.vendors.base import Adapter

# vendor -> (module, adapter class). Imported on use, so a fault in one adapter never stops a
# warehouse that does not use it.
ADAPTERS: dict[str, tuple[str, str]] = {
    "stripe": ("cswh.vendors.stripe", "StripeAdapter"),
    "chargebee": ("cswh.vendors.chargebee", "ChargebeeAdapter"),
    "zendesk": ("cswh.vendors.zendesk", "ZendeskAdapter"),
    "hubspot": ("cswh.vendors.hubspot", "HubspotAdapter"),
    "salesforce": ("cswh.vendors.salesforce", "SalesforceAdapter"),
    "segment": ("cswh.vendors.segment", "SegmentAdapter"),
}
VENDORS = tuple(ADAPTERS)


def adapter_class(vendor: str) -> type[Adapter]:
    if vendor not in ADAPTERS:
        raise ValueError(f"unknown vendor '{vendor}' (known: {', '.join(VENDORS)})")
    module, name = ADAPTERS[vendor]
    return getattr(importlib.import_module(module), name)


def make_adapter(vendor: str, settings: dict[str, Any] | None = None) -> Adapter:
    return adapter_class(vendor)(settings)
