"""The SQLite layout of the embedded store, and opening a file safely.

Tables:

- ``handling``: each distinct handling (classification, releasability, caveats, code,
  originator, retention) once; records point to it by ``hid``. Scopes are resolved to the set
  of visible ``hid`` s, so every query filters on one indexed integer.
- ``types``: entity and link type names, by small integer.
- ``entities``: one row per entity id, with its type. Existence says nothing of visibility.
- ``erecords``: entity records: what one source record asserts about one entity (its property
  values, as JSON), with provenance, grading and handling.
- ``links``: one row per link assertion, with provenance, grading and handling.
- ``name_index``: FTS5 over the ``name`` properties of entity records (rowid = rid * 256 + k,
  256 being ``graphsvc.store.records.NAMES_PER_RECORD``).
- ``meta``: layout version and the data version, which rises with every write that changes
  something. Rows carry the version (``gen``) that last wrote them, so readers patch their
  in-memory index with just the rows newer than the version they hold.
- ``saved_queries``: every version of every saved DSL query, keyed by (owner, name, version);
  ``saved_query_deletions``: the (owner, name) deleted since their last version, and when.
  They are not graph data: writing them leaves the data version alone.
- ``resolutions``: every entity-resolution correction (merge, split, undo), in order (``seq``),
  with what it moved as JSON; ``redirects``: the redirects of the corrections in force, which
  the writer applies to every assertion (``graphsvc.store.resolution``). ``meta`` counts the
  corrections (``corrections``), so a writer reloads the redirects only when they changed.

Layout 2 is layout 1 with the correction tables: a layout-1 file gains them (and becomes layout
2) when it is opened, and a graphsvc that knows only layout 1 refuses the file instead of
writing past the corrections.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from graphsvc.errors import StoreError

LAYOUT_VERSION = 2
UPGRADABLE = (1,)  # older layouts brought up to date on opening

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS handling (
    hid INTEGER PRIMARY KEY,
    classification TEXT NOT NULL,
    releasable_to TEXT NOT NULL,
    caveats TEXT NOT NULL,
    code TEXT NOT NULL,
    originator TEXT NOT NULL,
    retain_until TEXT NOT NULL,
    UNIQUE (classification, releasable_to, caveats, code, originator, retain_until)
);
CREATE TABLE IF NOT EXISTS types (
    tid INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('entity', 'link')),
    name TEXT NOT NULL,
    UNIQUE (kind, name)
);
CREATE TABLE IF NOT EXISTS entities (
    eid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tid INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS erecords (
    rid INTEGER PRIMARY KEY,
    eid INTEGER NOT NULL,
    source TEXT NOT NULL,
    record TEXT NOT NULL,
    hid INTEGER NOT NULL,
    method TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    observed_at TEXT,
    confidence REAL NOT NULL,
    document TEXT,
    span_start INTEGER,
    span_end INTEGER,
    extractor TEXT,
    note TEXT,
    grade_source TEXT,
    grade_info TEXT,
    properties TEXT NOT NULL,
    gen INTEGER NOT NULL,
    UNIQUE (eid, source, record)
);
CREATE INDEX IF NOT EXISTS erecords_gen ON erecords (gen);
CREATE TABLE IF NOT EXISTS links (
    lid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    tid INTEGER NOT NULL,
    src INTEGER NOT NULL,
    dst INTEGER NOT NULL,
    directed INTEGER NOT NULL,
    hid INTEGER NOT NULL,
    t INTEGER,
    confidence REAL NOT NULL,
    source TEXT NOT NULL,
    record TEXT NOT NULL,
    method TEXT NOT NULL,
    ingested_at TEXT NOT NULL,
    observed_at TEXT,
    document TEXT,
    span_start INTEGER,
    span_end INTEGER,
    extractor TEXT,
    note TEXT,
    grade_source TEXT NOT NULL,
    grade_info TEXT NOT NULL,
    properties TEXT NOT NULL,
    gen INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS links_src ON links (src, hid);
CREATE INDEX IF NOT EXISTS links_dst ON links (dst, hid);
CREATE INDEX IF NOT EXISTS links_gen ON links (gen);
CREATE VIRTUAL TABLE IF NOT EXISTS name_index
    USING fts5(name, tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS name_vocab USING fts5vocab(name_index, 'row');
INSERT OR IGNORE INTO meta (key, value) VALUES ('layout', '2'), ('version', '0');
"""


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """Open the store file (creating the layout when ``create``), in WAL mode."""
    if not create and not path.exists():
        raise StoreError(f"no store at {path}; ingest something first", file=str(path))
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60)
        conn.execute("PRAGMA busy_timeout = 60000")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreError(f"cannot use WAL journaling (got {mode})", file=str(path))
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA temp_store = MEMORY")
        if create:
            conn.executescript(DDL)
        layout = conn.execute("SELECT value FROM meta WHERE key = 'layout'").fetchone()
        if layout is not None and int(layout[0]) in (LAYOUT_VERSION, *UPGRADABLE):
            _add_columns(conn)
            _add_tables(conn)
            if int(layout[0]) != LAYOUT_VERSION:
                conn.execute(
                    "UPDATE meta SET value = ? WHERE key = 'layout'", (str(LAYOUT_VERSION),)
                )
                layout = (str(LAYOUT_VERSION),)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open the store: {exc}", file=str(path)) from None
    if layout is None or int(layout[0]) != LAYOUT_VERSION:
        found = layout[0] if layout else "none"
        raise StoreError(
            f"store layout {found} is not the supported layout {LAYOUT_VERSION}", file=str(path)
        )
    return conn


# Columns added to layout 1 after its first release: (table, column, declaration). Adding a
# nullable column changes no existing row, so older files are brought up to date on opening.
ADDED_COLUMNS = (("links", "note", "TEXT"), ("erecords", "note", "TEXT"))


def _add_columns(conn: sqlite3.Connection) -> None:
    for table, column, declaration in ADDED_COLUMNS:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


# Tables added after the first release of layout 1: (name, statement). A new table changes no
# existing row, so older files gain it on opening; files created now get it the same way. The
# correction tables (resolutions, redirects) make layout 2.
ADDED_TABLES = (
    (
        "saved_queries",
        """CREATE TABLE IF NOT EXISTS saved_queries (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    description TEXT NOT NULL,
    parameters TEXT NOT NULL,
    body TEXT NOT NULL,
    agency TEXT NOT NULL,
    sharing TEXT NOT NULL CHECK (sharing IN ('private', 'agency', 'everyone')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (owner, name, version)
)""",
    ),
    (
        "saved_queries_name",
        "CREATE INDEX IF NOT EXISTS saved_queries_name ON saved_queries (name, owner, version)",
    ),
    (
        "saved_query_deletions",
        """CREATE TABLE IF NOT EXISTS saved_query_deletions (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    deleted_at TEXT NOT NULL,
    PRIMARY KEY (owner, name)
)""",
    ),
    (
        "resolutions",
        """CREATE TABLE IF NOT EXISTS resolutions (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('merge', 'split', 'undo')),
    by_principal TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    target TEXT NOT NULL,
    entities TEXT NOT NULL,
    moves TEXT NOT NULL,
    redirects TEXT NOT NULL,
    undoes TEXT,
    undone_by TEXT
)""",
    ),
    (
        "redirects",
        """CREATE TABLE IF NOT EXISTS redirects (
    seq INTEGER NOT NULL,
    resolution TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('entity', 'record', 'link')),
    entity TEXT NOT NULL,
    source TEXT,
    record TEXT,
    link TEXT,
    link_end TEXT CHECK (link_end IN ('from', 'to')),
    target TEXT NOT NULL
)""",
    ),
    (
        "redirects_resolution",
        "CREATE INDEX IF NOT EXISTS redirects_resolution ON redirects (resolution)",
    ),
)


def _add_tables(conn: sqlite3.Connection) -> None:
    present = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    for name, statement in ADDED_TABLES:
        if name not in present:
            conn.execute(statement)
