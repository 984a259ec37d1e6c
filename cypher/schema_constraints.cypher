// Which of graphsvc's constraints exist (the store refuses to work without them).
SHOW CONSTRAINTS YIELD name
WHERE name IN $names
RETURN name
