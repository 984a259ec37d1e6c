"""The domain model: schema types loaded from ``schema/``, source records, read results."""
