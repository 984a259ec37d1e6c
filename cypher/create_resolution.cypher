// A correction (merge, split or undo): $row holds its fields, its moves and its redirects
// (JSON text) and its number (seq).
CREATE (x:Resolution)
SET x = $row
RETURN x.seq AS seq
