// Links whose ends a newer version of their record changed: removed, then written anew.
UNWIND $rows AS row
MATCH (a:Entity)-[old:LINK {id: row.id}]->(b:Entity)
WHERE a.id <> row.src OR b.id <> row.dst
DELETE old
