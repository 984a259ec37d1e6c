#!/bin/sh
# Container entry point of graphsvc (the image's WORKDIR, /app, holds seed/).
#
#   GRAPHSVC_BACKEND=neo4j  wait for Neo4j by retrying `graphsvc db init` (constraints and
#                           indexes, idempotent), load the seed case if GRAPHSVC_LOAD_SEED=1
#                           (idempotent: a second load changes nothing), then serve.
#   embedded (default)      load the seed case when the store file does not exist yet
#                           (with GRAPHSVC_LOAD_SEED=0: create it empty), then serve.
#
# Settings (environment):
#   GRAPHSVC_LOAD_SEED         1 or 0; default 1 on embedded, 0 on neo4j (docker-compose.yml
#                              sets 1): never load the demo case into a real database unasked
#   GRAPHSVC_SEED_MANIFEST     the manifests of the seed case, separated by spaces; default
#                              "seed/manifest.yaml seed/reports/manifest.yaml" (the structured
#                              sources, then the reports, e-mails and scans read by extraction)
#   GRAPHSVC_PRINCIPALS        default seed/principals.yaml (its demo tokens are public)
#   GRAPHSVC_STORE             embedded store file, default data/graph.db
#   GRAPHSVC_AUDIT             audit log file (SQLite); keep it on a volume
#   GRAPHSVC_DB_WAIT_TRIES     attempts at `graphsvc db init`, default 60
#   GRAPHSVC_DB_WAIT_SECONDS   pause between attempts, default 2
#   PORT                       port of the API, default 8000
#   NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD, NEO4J_DATABASE   read by graphsvc itself
#   NEO4J_AUTH                 neo4j/<password>: the password when NEO4J_PASSWORD is not set
#
# With arguments, the entry point runs them instead (after the line above), e.g.
#   docker compose run --rm graphsvc graphsvc stats
set -eu

backend="${GRAPHSVC_BACKEND:-embedded}"
manifest="${GRAPHSVC_SEED_MANIFEST:-seed/manifest.yaml seed/reports/manifest.yaml}"
principals="${GRAPHSVC_PRINCIPALS:-seed/principals.yaml}"
port="${PORT:-8000}"

say() {
    echo "entrypoint: $*" >&2
}

# docker-compose.yml hands both containers NEO4J_AUTH (neo4j/<password>) from deploy/neo4j.env,
# never NEO4J_PASSWORD: the neo4j image would turn that into a neo4j.conf setting and refuse
# to start. graphsvc reads NEO4J_PASSWORD, so take it from NEO4J_AUTH when it is not set.
if [ -z "${NEO4J_PASSWORD:-}" ] && [ -n "${NEO4J_AUTH:-}" ] && [ "$NEO4J_AUTH" != "none" ]; then
    NEO4J_PASSWORD="${NEO4J_AUTH#*/}"
    NEO4J_PASSWORD="${NEO4J_PASSWORD%%/*}"
    export NEO4J_PASSWORD
fi

# With arguments, run them instead of the server: `docker compose run --rm graphsvc graphsvc stats`
if [ "$#" -gt 0 ]; then
    exec "$@"
fi

if [ -n "${GRAPHSVC_AUDIT:-}" ]; then
    mkdir -p "$(dirname "$GRAPHSVC_AUDIT")"
fi

case "$backend" in
neo4j)
    load_seed="${GRAPHSVC_LOAD_SEED:-0}"
    tries="${GRAPHSVC_DB_WAIT_TRIES:-60}"
    pause="${GRAPHSVC_DB_WAIT_SECONDS:-2}"
    attempt=1
    while :; do
        if output=$(graphsvc db init 2>&1); then
            echo "$output"
            break
        fi
        if [ "$attempt" -ge "$tries" ]; then
            say "giving up: Neo4j at ${NEO4J_URI:-(NEO4J_URI not set)} did not answer" \
                "'graphsvc db init' after $tries attempts, ${pause} s apart; last error:"
            echo "$output" >&2
            exit 1
        fi
        say "waiting for Neo4j (attempt $attempt/$tries): $(echo "$output" | tail -n 1)"
        attempt=$((attempt + 1))
        sleep "$pause"
    done
    if [ "$load_seed" = "1" ]; then
        say "loading the seed case $manifest into Neo4j (idempotent)"
        # shellcheck disable=SC2086 # one argument per manifest
        graphsvc ingest $manifest --quiet
    fi
    ;;
embedded)
    load_seed="${GRAPHSVC_LOAD_SEED:-1}"
    store="${GRAPHSVC_STORE:-data/graph.db}"
    mkdir -p "$(dirname "$store")"
    # Only into a store that does not exist yet: never add the demo case to a store someone
    # mounted. A load that fails removes the file it created, so the next start tries again.
    if [ "$load_seed" = "1" ] && [ ! -e "$store" ]; then
        say "first start: loading the seed case $manifest into $store"
        # shellcheck disable=SC2086 # one argument per manifest
        if ! graphsvc --store "$store" ingest $manifest --quiet; then
            rm -f "$store" "$store-wal" "$store-shm"
            say "loading the seed case failed; $store removed"
            exit 1
        fi
    elif [ ! -e "$store" ]; then
        graphsvc --store "$store" db init
    fi
    ;;
*)
    say "unknown GRAPHSVC_BACKEND '$backend': expected embedded or neo4j"
    exit 2
    ;;
esac

exec graphsvc --principals "$principals" serve --host 0.0.0.0 --port "$port"
