// Links not stored yet (rows: {id, src, dst, digest, fields}).
UNWIND $rows AS row
MATCH (a:Entity {id: row.src})
MATCH (b:Entity {id: row.dst})
WHERE NOT EXISTS { (:Entity)-[:LINK {id: row.id}]->(:Entity) }
CREATE (a)-[r:LINK]->(b)
SET r = row.fields
RETURN count(r) AS changed
