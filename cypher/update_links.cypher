// Links already stored with the right ends (rows: {id, src, dst, digest, fields}), rewritten
// only when their digest changed. Found by the unique index on the link id, not by
// expanding their ends (which may be hubs).
UNWIND $rows AS row
MATCH (:Entity)-[r:LINK {id: row.id}]->(:Entity)
WHERE r.digest <> row.digest
SET r += row.fields
RETURN count(r) AS changed
