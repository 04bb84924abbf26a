#!/usr/bin/env bash
# The built-in demo: a Put.io emulator with accounts a and b, account a holding a media library
# (series with seasons and subtitles, films, music, unicode names, ~270 MiB). It lists the library,
# migrates putio:a into putio:b with the live progress display (on a terminal), shows that a second
# run has nothing to do, checks both sides, delivers the videos and subtitles to a local "NAS"
# folder as a Plex pipeline would, and stops the emulator. Everything lives under .build/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build
bin=$(swift build --show-bin-path)
demo=$PWD/.build/demo
rm -rf "$demo"
mkdir -p "$demo"
export SYNC_CORE_CONFIG=$demo/config.toml
export SYNC_CORE_STATE=$demo/state.db
export HOME=$demo/home   # keep the demo away from the user's own accounts and plugins
sc() { echo; echo "\$ sync-core $*"; "$bin/sync-core" "$@"; }

echo "starting the Put.io emulator (accounts a and b; seeding a's library)…"
"$bin/sync-emulator" putio --port 0 --accounts a,b --seed demo --tokens-file "$demo/tokens.json" \
    > "$demo/emulator.log" 2>&1 &
emulator=$!
trap 'kill "$emulator" 2>/dev/null; wait "$emulator" 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
    grep -q "listening on" "$demo/emulator.log" 2>/dev/null && [ -s "$demo/tokens.json" ] && break
    kill -0 "$emulator" 2>/dev/null || { cat "$demo/emulator.log"; exit 1; }
    sleep 0.1
done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$demo/emulator.log" | head -n 1)
[ -n "$url" ] || { echo "the emulator did not start"; cat "$demo/emulator.log"; exit 1; }
echo "emulator at $url"

sc plugins
for account in a b; do
    # The token goes in on standard input, never on a command line.
    token=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$demo/tokens.json" "$account")
    echo; echo "\$ sync-core account add putio $account --set api_url=$url --set upload_url=$url --stdin   (token on stdin)"
    printf 'token=%s\n' "$token" | "$bin/sync-core" account add putio "$account" --set "api_url=$url" \
        --set "upload_url=$url" --stdin
done
sc account list
sc ls putio:a
sc ls -R "putio:a/Series/The Expanse"
sc migrate putio:a putio:b
sc migrate putio:a putio:b
sc check putio:a putio:b
mkdir -p "$demo/nas"
sc account add local nas --set "root=$demo/nas"
sc migrate putio:a/Series local:nas/media/Series --type video --type subtitle
sc history
echo
echo "demo finished: state, config and the NAS folder are under $demo"
