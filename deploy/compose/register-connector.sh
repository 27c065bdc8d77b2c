#!/bin/sh
# Create or update a Kafka Connect connector from a debezium-examples style register-*.json
# ({"name": ..., "config": {...}}), then wait until it and its tasks are RUNNING.
#
# Idempotent: it PUTs the "config" object to /connectors/<name>/config, which creates the
# connector when it is missing and updates it otherwise; run it as often as you like.
# POSIX sh + curl + sed only (the curlimages/curl image has no jq).
#
# Environment:
#   CONNECT_URL        Kafka Connect REST API            (default http://connect:8083)
#   CONNECTOR_FILE     the register-*.json               (default /connectors/odoo-postgres/register-odoo-postgres.json)
#   CONNECTOR_NAME     overrides the file's "name"
#   CONNECTOR_RESTART  "true": restart connector + tasks after the PUT, e.g. after tables were
#                      re-created (filtered publications only pick up tables at connector start)
#   WAIT_SECONDS       how long to wait for Connect and for RUNNING (default 180)
#
# Exit codes: 0 registered and RUNNING; 1 any failure (the connector's trace is printed).
set -eu

CONNECT_URL="${CONNECT_URL:-http://connect:8083}"
CONNECTOR_FILE="${CONNECTOR_FILE:-/connectors/odoo-postgres/register-odoo-postgres.json}"
CONNECTOR_RESTART="${CONNECTOR_RESTART:-false}"
WAIT_SECONDS="${WAIT_SECONDS:-180}"

log() { printf '%s register-connector: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }
fail() { log "ERROR: $*"; exit 1; }

[ -r "$CONNECTOR_FILE" ] || fail "cannot read $CONNECTOR_FILE"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The file on one line (a JSON string cannot hold a raw newline, so nothing is lost).
json=$(tr -d '\r\n' < "$CONNECTOR_FILE")

# A JSON string, and a flat JSON object: Connect configs are maps of strings, and values such
# as ${env:ODOO_DB_HOST} contain braces, so strings are matched whole.
str='"([^"\\]|\\.)*"'
obj='\{([^{}"]|'"$str"')*\}'

config=$(printf '%s' "$json" \
    | sed -nE 's/.*"config"[[:space:]]*:[[:space:]]*('"$obj"').*/\1/p')
[ -n "$config" ] || fail "$CONNECTOR_FILE has no flat \"config\" object"
case $config in
    *'"connector.class"'*) ;;
    *) fail "the \"config\" object in $CONNECTOR_FILE has no connector.class" ;;
esac

if [ -z "${CONNECTOR_NAME:-}" ]; then
    rest=$(printf '%s' "$json" | sed -E 's/"config"[[:space:]]*:[[:space:]]*'"$obj"'//')
    CONNECTOR_NAME=$(printf '%s' "$rest" \
        | sed -nE 's/.*"name"[[:space:]]*:[[:space:]]*"([^"\\]*)".*/\1/p')
fi
[ -n "$CONNECTOR_NAME" ] || fail "no connector name (neither \"name\" in the file nor CONNECTOR_NAME)"
case $CONNECTOR_NAME in
    *[!A-Za-z0-9._-]*) fail "connector name '$CONNECTOR_NAME' needs URL escaping; rename it" ;;
esac
printf '%s' "$config" > "$tmp/config.json"

deadline=$(( $(date +%s) + WAIT_SECONDS ))
in_time() { [ "$(date +%s)" -lt "$deadline" ]; }

# 1. Connect's REST API answers (compose already waits for the healthcheck; a manual run may not).
until curl -fsS -o /dev/null "$CONNECT_URL/connectors"; do
    in_time || fail "Kafka Connect at $CONNECT_URL did not answer within ${WAIT_SECONDS}s"
    sleep 2
done

# 2. Create or update. 409 = the worker group is rebalancing; 5xx = not ready yet: retry.
while :; do
    code=$(curl -sS -o "$tmp/put.out" -w '%{http_code}' -X PUT \
        -H 'Content-Type: application/json' -H 'Accept: application/json' \
        --data-binary "@$tmp/config.json" \
        "$CONNECT_URL/connectors/$CONNECTOR_NAME/config") || code=000
    case $code in
        201) log "created connector $CONNECTOR_NAME"; break ;;
        200) log "updated connector $CONNECTOR_NAME (config unchanged or replaced)"; break ;;
        409|5*|000)
            in_time || { cat "$tmp/put.out" >&2 2>/dev/null || true; fail "PUT config: HTTP $code"; }
            log "PUT config: HTTP $code, retrying"
            sleep 3 ;;
        *) cat "$tmp/put.out" >&2; echo >&2; fail "Connect rejected the config: HTTP $code" ;;
    esac
done

# 3. Optional restart (connector and all its tasks).
if [ "$CONNECTOR_RESTART" = "true" ]; then
    code=$(curl -sS -o "$tmp/restart.out" -w '%{http_code}' -X POST \
        "$CONNECT_URL/connectors/$CONNECTOR_NAME/restart?includeTasks=true&onlyFailed=false") \
        || code=000
    case $code in
        2??) log "restarted connector $CONNECTOR_NAME and its tasks" ;;
        *) cat "$tmp/restart.out" >&2 2>/dev/null || true; fail "restart: HTTP $code" ;;
    esac
fi

# 4. Wait for the connector and at least one task to be RUNNING; stop early on FAILED.
while :; do
    status=$(curl -fsS "$CONNECT_URL/connectors/$CONNECTOR_NAME/status" 2>/dev/null || true)
    # First state is the connector's, the others are the tasks'.
    states=$(printf '%s' "$status" | tr -d ' \t' | grep -o '"state":"[A-Z_]*"' \
        | sed 's/"state":"\(.*\)"/\1/' | tr '\n' ' ')
    case " $states" in
        *' FAILED '*)
            printf '%s\n' "$status" >&2
            fail "connector $CONNECTOR_NAME FAILED (trace above)" ;;
    esac
    # shellcheck disable=SC2086  # split on purpose: one word per state, no glob characters
    set -- $states
    if [ "$#" -ge 2 ] && [ "$1" = RUNNING ]; then
        all_running=true
        for s in "$@"; do [ "$s" = RUNNING ] || all_running=false; done
        if [ "$all_running" = true ]; then
            log "connector $CONNECTOR_NAME RUNNING with $(( $# - 1 )) task(s)"
            exit 0
        fi
    fi
    in_time || { printf '%s\n' "$status" >&2; fail "connector $CONNECTOR_NAME not RUNNING after ${WAIT_SECONDS}s (states: ${states:-none})"; }
    sleep 2
done
