// Entity records by key, with every stored property (a correction re-keys them).
UNWIND $keys AS key
MATCH (rec:Record {key: key})
RETURN rec.key AS key, properties(rec) AS fields
