// Every version of the saved queries named $name and/or owned by $owner (null: any), with
// the time of their deletion when they are deleted.
MATCH (q:SavedQuery)
WHERE ($name IS NULL OR q.name = $name) AND ($owner IS NULL OR q.owner = $owner)
OPTIONAL MATCH (d:SavedQueryDeletion {owner: q.owner, name: q.name})
RETURN q.owner AS owner, q.name AS name, q.version AS version, q.description AS description,
       q.parameters AS parameters, q.body AS body, q.agency AS agency, q.sharing AS sharing,
       q.created_at AS created_at, q.updated_at AS updated_at, d.deleted_at AS deleted_at
ORDER BY owner, name, version
