// The type each of these entity ids already has (checked before a unit is written).
UNWIND $ids AS id
MATCH (e:Entity {id: id})
RETURN e.id AS id, e.type AS type
