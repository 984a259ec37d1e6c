// The whole store, whatever its handling: entity records.
MATCH (rec:Record)
RETURN count(rec) AS records
