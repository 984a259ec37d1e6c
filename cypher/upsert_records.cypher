// Entity records (rows: {key, entity, digest, fields}). A record is rewritten only when its
// digest (everything but the ingestion time) changed, so re-ingesting changes nothing.
UNWIND $rows AS row
MATCH (e:Entity {id: row.entity})
MERGE (rec:Record {key: row.key})
WITH e, rec, row
WHERE rec.digest IS NULL OR rec.digest <> row.digest
SET rec += row.fields
MERGE (rec)-[:DESCRIBES]->(e)
RETURN count(rec) AS changed
