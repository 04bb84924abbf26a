#!/usr/bin/env bash
# Copies a built sync-core into PREFIX:
#   PREFIX/bin/sync-core
#   PREFIX/lib/sync-core/plugins/*.so       (found by the CLI with no configuration)
#   PREFIX/include/sync-core/sync_connector.h (for connectors built out of tree)
#   PREFIX/share/doc/sync-core/*.md
# Usage: scripts/install.sh PREFIX BUILD_BIN_DIR
set -euo pipefail
prefix=${1:?usage: install.sh PREFIX BUILD_BIN_DIR}
bin=${2:?usage: install.sh PREFIX BUILD_BIN_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)

install -d "$prefix/bin" "$prefix/lib/sync-core/plugins" "$prefix/include/sync-core" "$prefix/share/doc/sync-core"
install -m 0755 "$bin/sync-core" "$prefix/bin/sync-core"
for plugin in "$bin"/libSyncConnector*.so; do
    install -m 0755 "$plugin" "$prefix/lib/sync-core/plugins/"
done
install -m 0644 "$root/Sources/CSyncConnector/include/sync_connector.h" "$prefix/include/sync-core/"
install -m 0644 "$root"/docs/*.md "$prefix/share/doc/sync-core/"
echo "installed sync-core into $prefix"
