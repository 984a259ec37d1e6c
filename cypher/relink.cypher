// Links re-pointed by a correction (rows: {id, src, dst}). A relationship cannot change its
// ends: it is replaced by one with exactly the same properties between the new ends.
UNWIND $rows AS row
MATCH (:Entity)-[old:LINK {id: row.id}]->(:Entity)
MATCH (a:Entity {id: row.src})
MATCH (b:Entity {id: row.dst})
WITH old, a, b, properties(old) AS fields
DELETE old
CREATE (a)-[r:LINK]->(b)
SET r = fields
RETURN count(r) AS moved
