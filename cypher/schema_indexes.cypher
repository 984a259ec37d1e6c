// Which of graphsvc's indexes exist (the store refuses to work without them).
SHOW INDEXES YIELD name
WHERE name IN $names
RETURN name
