// Links (rows: {id, src, dst, digest, fields}), rewritten only when their digest changed.
UNWIND $rows AS row
MATCH (a:Entity {id: row.src})
MATCH (b:Entity {id: row.dst})
MERGE (a)-[r:LINK {id: row.id}]->(b)
WITH r, row
WHERE r.digest IS NULL OR r.digest <> row.digest
SET r += row.fields
RETURN count(r) AS changed
