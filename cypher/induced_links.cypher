// The visible, allowed links with both ends among $ids, each once.
UNWIND $ids AS id
MATCH (a:Entity {id: id})-[r:LINK]->(b:Entity)
WHERE b.id IN $ids
  AND r.hkey IN $visible
  AND ($types IS NULL OR r.type IN $types)
  AND ($since IS NULL OR r.t >= $since)
  AND ($until IS NULL OR r.t <= $until)
  AND ($min_confidence IS NULL OR r.confidence >= $min_confidence)
RETURN r.id AS id, a.id AS src, b.id AS dst, r.directed AS directed
