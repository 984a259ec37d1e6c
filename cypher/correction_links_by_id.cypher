// Links named by id in a correction, whatever their handling, with their ends.
UNWIND $ids AS id
MATCH (a:Entity)-[r:LINK {id: id}]->(b:Entity)
RETURN r.id AS id, a.id AS src, b.id AS dst,
       r.classification AS classification, r.releasable_to AS releasable_to,
       r.caveats AS caveats, r.code AS code, r.originator AS originator,
       r.retain_until AS retain_until
