// One node per entity id; its type never changes (a unit saying otherwise is refused first).
UNWIND $rows AS row
MERGE (e:Entity {id: row.id})
ON CREATE SET e.type = row.type
