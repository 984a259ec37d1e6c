// Every entity record of these entities, whatever its handling: a correction (merge, split,
// undo) moves records whoever may see them, and the rules decide in Python what the caller
// sees, with the scope's own test of each record's handling.
UNWIND $ids AS id
MATCH (rec:Record)-[:DESCRIBES]->(e:Entity {id: id})
RETURN e.id AS entity, rec.source AS source, rec.record AS record,
       rec.classification AS classification, rec.releasable_to AS releasable_to,
       rec.caveats AS caveats, rec.code AS code, rec.originator AS originator,
       rec.retain_until AS retain_until
