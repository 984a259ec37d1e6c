// What the scope sees of the links, grouped by type, source, classification and code.
MATCH (:Entity)-[r:LINK]->(:Entity)
WHERE r.hkey IN $visible
RETURN r.type AS type, r.source AS source, r.classification AS classification,
       r.code AS code, count(*) AS links
