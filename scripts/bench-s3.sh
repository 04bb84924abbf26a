#!/usr/bin/env bash
# make bench, section 5: the S3 connector against moto's S3 server, side by side with rclone on the
# same server in the same run; appended to docs/benchmarks.md. Run by scripts/bench.sh, or alone:
#   scripts/bench-s3.sh BIN_DIR WORK_DIR [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh "$@"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint=http://127.0.0.1:$port
moto_server -H 127.0.0.1 -p "$port" > "$work/moto.log" 2>&1 &
moto=$!
# moto may have SIGTERM blocked (inherited); it keeps nothing worth a clean shutdown.
trap 'kill -9 "$moto" 2>/dev/null || true' EXIT
for _ in $(seq 150); do curl -s -o /dev/null "$endpoint/" && break; sleep 0.2; done
moto_pid=$(pgrep -P "$moto" -f moto_server || echo "$moto")
server_cpu() { awk '{print $14 + $15}' "/proc/$moto_pid/stat"; }

printf 'secret_access_key=bench-secret\n' | "$bin/sync-core" account add s3 bench --set provider=other \
    --set "endpoint=$endpoint" --set access_key_id=bench-key --stdin > /dev/null
export RCLONE_S3_PROVIDER=Other RCLONE_S3_ENDPOINT=$endpoint RCLONE_S3_ACCESS_KEY_ID=bench-key \
    RCLONE_S3_SECRET_ACCESS_KEY=bench-secret RCLONE_S3_FORCE_PATH_STYLE=true RCLONE_S3_REGION=us-east-1
sc() { "$bin/sync-core" "$@" --no-progress >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }; }
# rclone 1.60's S3 backend fails when AWS_CA_BUNDLE is set: unset for its runs.
rc() { env -u AWS_CA_BUNDLE rclone --config /dev/null "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }; }
for b in bench-sc bench-rc bench-src; do curl -s -X PUT "$endpoint/$b" > /dev/null; done

large=$work/s3-large
make_tree "$large" 4 268435456 1
smalls=$work/s3-small
make_tree "$smalls" 2000 16384 20
cat "$large"/*/* "$smalls"/*/* > /dev/null

# Uploads: the tools take turns into fresh prefixes, emptied after each run so moto's memory
# stays level. Downloads: from one copy uploaded beforehand, into fresh local folders.
for set in large small; do
    data=$large; [ $set = small ] && data=$smalls
    : > "$work/s3-up-$set.sc"; : > "$work/s3-up-$set.rc"; : > "$work/s3-down-$set.sc"; : > "$work/s3-down-$set.rc"
    for i in $(seq "$runs"); do
        timed "$work/s3-up-$set.sc" sc copy "$data" "s3:bench/bench-sc/$set$i"
        timed "$work/s3-up-$set.rc" rc copy "$data" ":s3:bench-rc/$set$i"
        rc purge ":s3:bench-sc/$set$i"; rc purge ":s3:bench-rc/$set$i"
    done
    sc copy "$data" "s3:bench/bench-src/$set"
    for i in $(seq "$runs"); do
        rm -rf "$work/s3-o"; sync; timed "$work/s3-down-$set.sc" sc copy "s3:bench/bench-src/$set" "$work/s3-o"
        [ $set = large ] && { cmp -s "$large/d0000/f00003.bin" "$work/s3-o/d0000/f00003.bin" ||
            { echo "bench: the downloaded copy differs" >&2; exit 1; }; }
        rm -rf "$work/s3-o"; sync; timed "$work/s3-down-$set.rc" rc copy ":s3:bench-src/$set" "$work/s3-o"
    done
    rm -rf "$work/s3-o"
done
kill -9 "$moto" 2>/dev/null || true
trap - EXIT

column_median() { awk -v c="$2" '{print $c}' "$1" | median_of; }  # file, column
row() {  # label, set, direction, MiB or files, unit, target ratio
    local sc_t sc_c rc_t rc_c pairs
    sc_t=$(column_median "$work/s3-$3-$2.sc" 1); sc_c=$(column_median "$work/s3-$3-$2.sc" 2)
    rc_t=$(column_median "$work/s3-$3-$2.rc" 1); rc_c=$(column_median "$work/s3-$3-$2.rc" 2)
    pairs=$(paired "$work/s3-$3-$2.sc" "$work/s3-$3-$2.rc")
    echo "| $1 | $(rate "$4" "$sc_t") $5 (${sc_t} s; moto ${sc_c} s CPU) | $(rate "$4" "$rc_t") $5 (${rc_t} s; moto ${rc_c} s CPU) | at least $6% of rclone | $(ratio_text "$pairs" 100 %), $(verdict "$(awk '{print $1 * 100}' <<<"$pairs")" "$6") |"
}
cat >> docs/benchmarks.md <<MD

## S3 against moto (issue: S3), side by side with rclone $(rclone version 2>/dev/null | head -n 1 | awk '{print $2}')

moto_server $(python3 -c 'import moto; print(moto.__version__)') on 127.0.0.1, sharing the machine's $(nproc) cores with the tool
measured; both tools with their defaults (4 transfers; sync-core: 8 MiB parts, 4 in flight,
Content-MD5 on every PUT, part ETags and the final multipart ETag checked; rclone: 5 MiB parts, 4 in
flight). $runs pairs, the tools taking turns: medians, and the ratio of rclone's time to sync-core's
in each pair; "moto … s CPU" is the server's CPU time in a run (median), which is the limit
on uploads and small objects (moto is one Python process).

| measurement | sync-core | rclone copy | target | result |
|---|---|---|---|---|
$(row "upload 4 files of 256 MiB" large up 1024 MiB/s 100)
$(row "download 4 files of 256 MiB" large down 1024 MiB/s 130)
$(row "upload 2,000 files of 16 KiB" small up 2000 files/s 100)
$(row "download 2,000 files of 16 KiB" small down 2000 files/s 100)
MD
