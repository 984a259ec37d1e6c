// Visible entities with only their visible records (an entity's existence is not a record).
UNWIND $ids AS id
MATCH (e:Entity {id: id})
OPTIONAL MATCH (rec:Record)-[:DESCRIBES]->(e)
WHERE rec.hkey IN $visible
WITH e, collect(properties(rec)) AS records
WHERE size(records) > 0
   OR EXISTS { (e)-[r:LINK]-(:Entity) WHERE r.hkey IN $visible }
RETURN e.id AS id, e.type AS type, records
