// Corrections, newest first: the one with id $id, those made by principal $author, those
// naming entity $entity (null: any). What a caller may see of them is decided in Python.
MATCH (x:Resolution)
WHERE ($id IS NULL OR x.id = $id)
  AND ($author IS NULL OR x.by_principal = $author)
  AND ($entity IS NULL OR $entity IN x.entities)
RETURN properties(x) AS row
ORDER BY x.seq DESC
