// The properties (JSON text) of every visible link, for numeric link weights.
MATCH (:Entity)-[r:LINK]->(:Entity)
WHERE r.hkey IN $visible
RETURN r.id AS id, r.properties AS properties
