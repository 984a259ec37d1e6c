// One entity's visible links that pass the link filter, by link id, one page.
MATCH (e:Entity {id: $id})-[r:LINK]-(:Entity)
WHERE r.hkey IN $visible
  AND ($types IS NULL OR r.type IN $types)
  AND ($since IS NULL OR r.t >= $since)
  AND ($until IS NULL OR r.t <= $until)
  AND ($min_confidence IS NULL OR r.confidence >= $min_confidence)
WITH DISTINCT r
RETURN startNode(r).id AS src, endNode(r).id AS dst, properties(r) AS link
ORDER BY link.id
SKIP $page_start
LIMIT $page_size
