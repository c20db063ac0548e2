"""cs_warehouse: extract contracts, synthetic extracts, loader and build orchestration."""

__version__ = "0.1.0"
