#!/usr/bin/env bash
# Load benchmark: wrk routing new 3-line orders through `switchyard serve` over the 50-node
# example network, on SQLite (default) or PostgreSQL.
#
#   tests/load/run.sh [sqlite|postgres]
#
# Settings by environment: DURATION (30s), CONNECTIONS (16), THREADS (1), and for PostgreSQL
# POSTGRES_URL (postgres://postgres@127.0.0.1:5432/test; the run uses a schema of its own and
# drops it). Needs wrk, curl and python3. The server gets a fresh data directory and the demo
# tenant with the example network.
set -euo pipefail

backend=${1:-sqlite}
duration=${DURATION:-30s}
connections=${CONNECTIONS:-16}
threads=${THREADS:-1}
repo=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$repo/target}

cargo build --release --quiet -p switchyard --manifest-path "$repo/Cargo.toml"
data=$(mktemp -d)
args=(serve --listen 127.0.0.1:0 --data-dir "$data")
schema=""
if [ "$backend" = postgres ]; then
    base=${POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
    schema="switchyard_load_$$"
    psql "$base" -q -c "CREATE SCHEMA $schema"
    args+=(--database-url "$base?options=-c%20search_path%3D$schema")
fi

cleanup() {
    [ -n "${server:-}" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    [ -n "$schema" ] && psql "$base" -q -c "SET client_min_messages = warning; DROP SCHEMA $schema CASCADE"
    rm -rf "$data"
}
trap cleanup EXIT

RUST_LOG=warn "$target/release/switchyard" "${args[@]}" > "$data/stdout" &
server=$!
for _ in $(seq 1 300); do
    grep -q "listening on" "$data/stdout" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$data/stdout")
key=$(cat "$data/demo-key")

# Plenty of capacity and stock: the example's daily capacities and positions times 1000, so
# that a run measures routing, not a network selling out.
curl -sf "$url/v1/network" -H "Authorization: Bearer $key" > "$data/network.json"
python3 - "$data/network.json" <<'PY'
import json, sys
network = json.load(open(sys.argv[1]))
for node in network["nodes"]:
    node["daily_capacity"] *= 1000
json.dump(network, open(sys.argv[1], "w"))
PY
curl -sf -X PUT "$url/v1/network" -H "Authorization: Bearer $key" \
    -H "Content-Type: application/json" --data-binary "@$data/network.json" > /dev/null

python3 - "$repo/examples/networks/us-retail/inventory.csv" > "$data/inventory.json" <<'PY'
import csv, json, sys
rows = csv.DictReader(open(sys.argv[1]))
positions = [{"node": r["node"], "sku": r["sku"], "on_hand": int(r["on_hand"]) * 1000 + 1000,
              "safety_stock": int(r["safety_stock"])} for r in rows]
print(json.dumps({"positions": positions}))
PY
curl -sf -X PUT "$url/v1/inventory" -H "Authorization: Bearer $key" \
    -H "Content-Type: application/json" --data-binary "@$data/inventory.json" > /dev/null

echo "switchyard serve on $backend at $url: $connections connections, $threads wrk thread(s), $duration"
KEY=$key wrk -t"$threads" -c"$connections" -d"$duration" --latency \
    -s "$repo/tests/load/route-orders.lua" "$url"
