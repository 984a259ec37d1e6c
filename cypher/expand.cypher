// One breadth-first layer: the entities one visible, allowed link away from the frontier.
// The visibility predicate and the link filter apply to every relationship traversed.
UNWIND $frontier AS id
MATCH (a:Entity {id: id})-[r:LINK]-(b:Entity)
WHERE r.hkey IN $visible
  AND ($types IS NULL OR r.type IN $types)
  AND ($since IS NULL OR r.t >= $since)
  AND ($until IS NULL OR r.t <= $until)
  AND ($min_confidence IS NULL OR r.confidence >= $min_confidence)
RETURN DISTINCT b.id AS id
