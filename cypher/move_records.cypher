// Entity records re-pointed by a correction (rows: {key, to, fields}): the node keeps every
// value of the record; its key, entity and digest become those of the record asserted about
// its new entity, which it describes from now on.
UNWIND $rows AS row
MATCH (rec:Record {key: row.key})-[old:DESCRIBES]->(:Entity)
MATCH (e:Entity {id: row.to})
DELETE old
SET rec = row.fields
CREATE (rec)-[:DESCRIBES]->(e)
RETURN count(rec) AS moved
