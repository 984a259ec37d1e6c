// Which of these entities the scope sees: asserted by a visible record or touched by a
// visible link ($visible: the handling keys the scope may see).
UNWIND $ids AS id
MATCH (e:Entity {id: id})
WHERE EXISTS { (rec:Record)-[:DESCRIBES]->(e) WHERE rec.hkey IN $visible }
   OR EXISTS { (e)-[r:LINK]-(:Entity) WHERE r.hkey IN $visible }
RETURN e.id AS id
