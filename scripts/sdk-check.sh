#!/usr/bin/env bash
# make sdk-check: a connector written in Swift, built OUTSIDE this package against ConnectorKit
# (Examples/SwiftConnector, copied to a scratch folder), loaded by the CLI and run through the
# conformance suite. Exits non-zero if any step or any check fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
swift build --product sync-core
cli="$(swift build --show-bin-path)/sync-core"
# A scratch folder outside this package, kept between runs so that its build is incremental.
work=${SDK_CHECK_DIR:-${TMPDIR:-/tmp}/sync-core-sdk-check}
mkdir -p "$work/mirror"
rm -rf "$work/mirror/Sources" "$work/data" "$work/home" "$work/sync-core"
cp -r Examples/SwiftConnector/. "$work/mirror/"
# SwiftPM names a path dependency after its folder: make this checkout be called sync-core.
ln -s "$root" "$work/sync-core"
export SYNC_CORE_PACKAGE="$work/sync-core"
cd "$work/mirror"
swift build
lib="$(swift build --show-bin-path)/libSyncConnectorMirror.so"
mkdir -p "$work/data"
export HOME=$work/home
SYNC_CORE_PLUGIN_PATH="$lib" "$cli" plugins
SYNC_CORE_PLUGIN_PATH="$lib" "$cli" plugin test mirror --set "folder=$work/data"
echo "sdk-check: a Swift connector built out of tree loads and passes the conformance suite"
