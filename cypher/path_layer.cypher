// One layer of a path search: the entities one visible, allowed link away from the frontier,
// in the direction the search may go ($direction: 'any', 'out' (along directed links) or 'in'
// (against them); undirected links go both ways).
UNWIND $frontier AS id
MATCH (a:Entity {id: id})-[r:LINK]-(b:Entity)
WHERE r.hkey IN $visible
  AND ($types IS NULL OR r.type IN $types)
  AND ($since IS NULL OR r.t >= $since)
  AND ($until IS NULL OR r.t <= $until)
  AND ($min_confidence IS NULL OR r.confidence >= $min_confidence)
  AND ($direction = 'any' OR NOT r.directed OR (startNode(r) = a) = ($direction = 'out'))
RETURN DISTINCT b.id AS id
