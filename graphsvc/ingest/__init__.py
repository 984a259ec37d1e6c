"""Ingestion: sources (native JSONL, CSV through mappings) into the store, with a report."""

from graphsvc.ingest.runner import Ingestor, IngestReport, Problem
from graphsvc.ingest.sources import SourceConfig, SourceRegistry

__all__ = ["IngestReport", "Ingestor", "Problem", "SourceConfig", "SourceRegistry"]
