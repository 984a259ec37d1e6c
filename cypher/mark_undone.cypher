// A correction undone, and by which undo.
MATCH (x:Resolution {id: $id})
SET x.undone_by = $undone_by
