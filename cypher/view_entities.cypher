// Entities asserted by a visible record (those no visible link touches are in the view too).
MATCH (rec:Record)-[:DESCRIBES]->(e:Entity)
WHERE rec.hkey IN $visible
RETURN DISTINCT e.id AS id, e.type AS type
