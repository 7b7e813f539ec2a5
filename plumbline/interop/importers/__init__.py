"""CSV importers, one per kind of record; `IMPORTERS` maps the kind named on the command line to its importer."""

from __future__ import annotations

from plumbline.interop.importers.companies import CompanyImporter
from plumbline.interop.importers.contacts import ContactImporter
from plumbline.interop.importers.deals import DealImporter
from plumbline.interop.importers.touchpoints import TouchpointImporter

IMPORTERS = {i.kind: i for i in (ContactImporter, CompanyImporter, DealImporter, TouchpointImporter)}

__all__ = ["IMPORTERS"]
