// Whether the database answers reads.
RETURN 1 AS ok
