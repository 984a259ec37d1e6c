// Visible links by id, with their ends.
UNWIND $ids AS id
MATCH (a:Entity)-[r:LINK {id: id}]->(b:Entity)
WHERE r.hkey IN $visible
RETURN a.id AS src, b.id AS dst, properties(r) AS link
