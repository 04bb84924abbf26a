#!/usr/bin/env bash
# The built-in demo: the connectors found, an account over a small media library, a migration of it
# (live progress on a terminal), a second run that has nothing to do, a check, the run history, and
# the conformance suite against the C connector. Everything lives under .build/demo. Cloud accounts
# (the Put.io emulator) join the demo with the Put.io connector.
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

lib=$demo/library
make_file() { mkdir -p "$(dirname "$1")"; head -c "$2" /dev/urandom > "$1"; }
for season in 1 2; do
    for episode in 1 2 3; do
        base="$lib/Series/Northern Lights/Season $season/Northern Lights S0${season}E0${episode}"
        make_file "$base.mkv" $((1024 * 1024 * (2 + episode)))
        printf '1\n00:00:01,000 --> 00:00:04,000\nEpisode %s, season %s.\n' "$episode" "$season" > "$base.en.srt"
        printf '1\n00:00:01,000 --> 00:00:04,000\nÉpisode %s, saison %s.\n' "$episode" "$season" > "$base.fr.srt"
    done
done
make_file "$lib/Movies/Amélie (2001)/Amélie (2001).mp4" $((6 * 1024 * 1024))
make_file "$lib/Movies/千と千尋の神隠し (2001)/Spirited Away.mkv" $((5 * 1024 * 1024))
make_file "$lib/Music/Björk — Homogenic/01 Hunter.flac" $((3 * 1024 * 1024))
mkdir -p "$lib/Downloads/incoming (empty)"

sc plugins
sc account add local library --set "root=$lib"
sc account list
sc ls local:library
sc ls -R "local:library/Series/Northern Lights/Season 1"
sc cat "local:library/Series/Northern Lights/Season 1/Northern Lights S01E02.fr.srt"
mkdir -p "$demo/nas"
sc account add cdir nas --set "root=$demo/nas"
sc migrate local:library cdir:nas/media --bwlimit 10M
sc migrate local:library cdir:nas/media
sc check local:library cdir:nas/media
sc history
mkdir -p "$demo/scratch"
sc plugin test cdir --set "root=$demo/scratch"
echo
echo "demo finished: files under $demo"
