// The source that owns each of these link ids (a link id belongs to one source).
UNWIND $ids AS id
MATCH (:Entity)-[r:LINK {id: id}]->(:Entity)
RETURN r.id AS id, r.source AS source
