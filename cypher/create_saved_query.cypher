// A new version of a saved query ($row holds every field and its unique key); a deletion of
// the query is undone in the same transaction (see undelete_saved_query).
CREATE (q:SavedQuery)
SET q = $row
RETURN q.version AS version
