// Wait until every index is online (after `db init` created them).
CALL db.awaitIndexes($seconds)
