// Undo the deletion of a saved query (saving a new version brings it back).
MATCH (d:SavedQueryDeletion {owner: $owner, name: $name})
DELETE d
