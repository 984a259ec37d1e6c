// Mark every version of a saved query deleted (kept, not erased).
MERGE (d:SavedQueryDeletion {key: $key})
SET d.owner = $owner, d.name = $name, d.deleted_at = $at
