// One layer of a path search: each visible, allowed link from the frontier, with whether it
// leaves the frontier entity forwards (for directed searches).
UNWIND $frontier AS id
MATCH (a:Entity {id: id})-[r:LINK]-(b:Entity)
WHERE r.hkey IN $visible
  AND ($types IS NULL OR r.type IN $types)
  AND ($since IS NULL OR r.t >= $since)
  AND ($until IS NULL OR r.t <= $until)
  AND ($min_confidence IS NULL OR r.confidence >= $min_confidence)
RETURN a.id AS origin, b.id AS neighbour, startNode(r) = a AS forward, r.directed AS directed
