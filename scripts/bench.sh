#!/usr/bin/env bash
# make bench: measurements, side by side with reference tools in the same run, written to
# docs/benchmarks.md. Release builds; data under .build/bench (page-cached before each timed run).
# Every comparison is paired: the tools take turns (A B A B …) and each row reports the median of the
# pairs' ratios with the lowest and highest (scripts/bench-lib.sh, `paired`).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup.sh rclone time >/dev/null
swift build -c release
bin=$(swift build -c release --show-bin-path)
work=$root/.build/bench
mkdir -p "$work"
runs=${BENCH_RUNS:-3}
# Pairs for the engine's rows: a small-file or re-run pair takes seconds, so they get more.
pairs=${BENCH_PAIRS:-7}
big_pairs=${BENCH_BIG_PAIRS:-5}
# A round of the file-creation comparison takes a second: enough of them that disturbed rounds
# (the machine, not the way of writing) do not decide the median.
create_rounds=${BENCH_CREATE_ROUNDS:-15}
. scripts/bench-lib.sh "$bin" "$work" "$runs"
median_file() { median_of < "$1"; }

# --- 1. Discover and load every plugin (in-process time, median of 11 fresh processes) ---------
load_ms=$(for _ in $(seq 11); do "$bin/sync-bench" load | awk '{print $1}'; done | median_of)
plugin_count=$("$bin/sync-bench" load | awk '{print $3}')

# --- 2. 1 GiB local→local through the ABI (reader → writer, no hashing) vs cp, taking turns ------
src=$work/1GiB.bin
if [ ! -f "$src" ] || [ "$(stat -c %s "$src")" != 1073741824 ]; then
    head -c 1073741824 /dev/urandom > "$src"
fi
: > "$work/stream.cp"; : > "$work/stream.abi"
for _ in $(seq "$big_pairs"); do
    cat "$src" > /dev/null
    rm -f "$work/cp.bin"; sync
    t0=$(ns); cp "$src" "$work/cp.bin"; t1=$(ns)
    awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f\n", (b - a) / 1e9}' >> "$work/stream.cp"
    cat "$src" > /dev/null
    rm -f "$work/abi.bin"; sync
    "$bin/sync-bench" stream "$src" "$work/abi.bin" | awk '{print $3}' >> "$work/stream.abi"
done
cmp -s "$src" "$work/abi.bin" || { echo "bench: streamed copy differs from the source" >&2; exit 1; }
rm -f "$work/cp.bin" "$work/abi.bin"
cp_s=$(median_file "$work/stream.cp")
abi_s=$(median_file "$work/stream.abi")
stream_pairs=$(paired "$work/stream.abi" "$work/stream.cp")

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
today=$(date -u +%Y-%m-%d)
cat > docs/benchmarks.md <<MD
# Benchmarks

Written by \`make bench\` (scripts/bench.sh) on $today: $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GiB,
release build, page-cached data. Tests never assert timings; these numbers are measured side by side
with reference tools in the same run. Every comparison is paired: the tools take turns (A B A B …),
and a row reports each tool's median time and the median of the pairs' ratios, with the lowest and
highest ratio. This machine's disk and memory state move a single run by 2× (see "Why single runs
mislead here" below); a pair's two runs share that state, so the ratios move far less than the times.

## Platform (issue: platform foundation)

| measurement | sync-core | reference | target | result |
|---|---|---|---|---|
| discover and load every plugin ($plugin_count plugins, in-process, median of 11 processes) | ${load_ms} ms | — | under 20 ms | $(awk -v v="$load_ms" 'BEGIN{print (v < 20) ? "met" : "NOT met"}') |
| 1 GiB local→local through the ABI (reader → writer, 4 × 1 MiB buffers, no hashing) | $(rate 1024 "$abi_s") MiB/s (${abi_s} s) | cp: $(rate 1024 "$cp_s") MiB/s (${cp_s} s) | at least 80% of cp | $(ratio_text "$stream_pairs" 100 %) of cp, $(verdict "$(awk '{print $1 * 100}' <<<"$stream_pairs")" 80) |

The streamed copy is compared byte for byte with its source after the run. Loading the plugins
(images of about 13 MB each, bound at load so a missing symbol is a clean error, not a crash later)
moves with the machine's state by a few milliseconds. Each plugin's options schema is plain JSON
text read with Codable: Foundation's \`JSONSerialization\` made the runtime search every loaded
image's conformances once per plugin, which was 26 ms in all.
MD

# --- 3. The engine side by side with rclone (issue: migration engine) ----------------------------
sc() { "$bin/sync-core" "$@" --no-progress >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }; }
rc() { env -u AWS_CA_BUNDLE rclone --config /dev/null "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }; }
seconds() { local t0 t1; t0=$(ns); "$@"; t1=$(ns); awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f\n", (b - a) / 1e9}'; }
make_tree() {  # folder, files, bytes, folders
    [ -d "$1" ] && [ "$(find "$1" -type f | wc -l)" = "$2" ] && return
    rm -rf "$1"
    python3 - "$1" "$2" "$3" "$4" <<'PY'
import os, sys
root, files, size, folders = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
block = os.urandom(size)
for i in range(files):
    d = os.path.join(root, "d%04d" % (i % folders))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%07d.bin" % i), "wb") as f:
        f.write(block[i % 251:] + block[:i % 251])
PY
}

# How a small file is written with no half of it ever visible, without either tool around it
# (Benchmarks/file_create.c): the local connector's unnamed file, the partial name it replaced,
# and a plain create (not atomic; rclone's way), taking turns, each into a folder of its own.
cc -std=c11 -O2 -Wall -Werror=implicit-function-declaration -pthread -o "$work/file_create" Benchmarks/file_create.c
creates=$work/creates
rm -rf "$creates"; mkdir -p "$creates"
for m in unnamed partial direct; do : > "$work/create.$m"; done
for i in $(seq "$create_rounds"); do
    for m in unnamed partial direct; do
        sync; "$work/file_create" "$m" "$creates/$m$i" >> "$work/create.$m"
    done
done
create_partial=$(paired "$work/create.unnamed" "$work/create.partial")
create_direct=$(paired "$work/create.unnamed" "$work/create.direct")
create_sys() { awk '{print $2}' "$work/create.$1" | median_of; }

# 10,000 files of 4 KiB.
small=$work/small
make_tree "$small" 10000 4096 100
# The tools take turns (sync-core, rclone, cp -r, then again), each run starting with the source
# read back into the page cache (this machine's host takes cached pages back between runs, and the
# tool that met a cold cache read from disk) and no dirty pages. cp -r shows what the disk allows.
# Each run writes a folder of its own and nothing is deleted until all are done (see "Why single
# runs mislead here").
smalls_out=$work/small-out
rm -rf "$smalls_out"; mkdir -p "$smalls_out"; sync
: > "$work/small.sc"; : > "$work/small.rc"; : > "$work/small.cp"
for i in $(seq "$pairs"); do
    cat "$small"/*/* > /dev/null; sync; seconds sc copy "$small" "$smalls_out/sc$i" >> "$work/small.sc"
    cat "$small"/*/* > /dev/null; sync; seconds rc copy "$small" "$smalls_out/rc$i" >> "$work/small.rc"
    cat "$small"/*/* > /dev/null; sync; seconds cp -r "$small" "$smalls_out/cp$i" >> "$work/small.cp"
done
sc_small=$(median_file "$work/small.sc")
rc_small=$(median_file "$work/small.rc")
cp_small=$(median_file "$work/small.cp")
small_pairs=$(paired "$work/small.sc" "$work/small.rc")

# 4 files of 1 GiB, verification on (sync-core: CRC-32 streamed and checked against the store's;
# rclone: MD5 of both sides, its default for local to local).
big=$work/big
mkdir -p "$big"
for i in 1 2 3 4; do [ -f "$big/$i.bin" ] || cp "$src" "$big/$i.bin"; done
: > "$work/big.sc"; : > "$work/big.rc"
for _ in $(seq "$big_pairs"); do
    cat "$big"/* > /dev/null; rm -rf "$work/o"; sync; seconds sc copy "$big" "$work/o" >> "$work/big.sc"
    cmp -s "$big/4.bin" "$work/o/4.bin" || { echo "bench: sync-core's copy differs" >&2; exit 1; }
    cat "$big"/* > /dev/null; rm -rf "$work/o"; sync; seconds rc copy "$big" "$work/o" >> "$work/big.rc"
done
sc_big=$(median_file "$work/big.sc")
rc_big=$(median_file "$work/big.rc")
big_pairs_text=$(paired "$work/big.sc" "$work/big.rc")
rm -rf "$work/o"

# A no-change re-run over 100,000 files.
many=$work/many
make_tree "$many" 100000 64 1000
sc copy "$many" "$work/many-sc"
rc copy "$many" "$work/many-rc"
sc migrate "$many" "$work/many-mig"
: > "$work/rerun.sc"; : > "$work/rerun.mig"; : > "$work/rerun.rc"
for _ in $(seq "$pairs"); do
    seconds sc copy "$many" "$work/many-sc" >> "$work/rerun.sc"
    seconds rc copy "$many" "$work/many-rc" >> "$work/rerun.rc"
    seconds sc migrate "$many" "$work/many-mig" >> "$work/rerun.mig"
done
sc_rerun=$(median_file "$work/rerun.sc")
mig_rerun=$(median_file "$work/rerun.mig")
rc_rerun=$(median_file "$work/rerun.rc")
rerun_pairs=$(paired "$work/rerun.sc" "$work/rerun.rc")
walk_s=$(seconds find "$many" -type f -printf '%s %T@\n' | tail -n 1)

# Planning 1,000,000 entries (a synthetic listing on both sides; check reads no contents).
cc -std=c11 -O2 -Wall -Werror=implicit-function-declaration -shared -fPIC -ISources/CSyncConnector/include \
    -o "$work/libsynthetic.so" Benchmarks/synthetic_connector.c
export SYNC_CORE_PLUGIN_PATH=$work/libsynthetic.so
plan_mib() {  # folders
    "$bin/sync-core" account add synthetic a --set files=1000000 --set "folders=$1" >/dev/null
    "$bin/sync-core" account add synthetic b --set files=1000000 --set "folders=$1" >/dev/null
    /usr/bin/time -f '%M' "$bin/sync-core" check synthetic:a synthetic:b --no-progress 2>&1 >/dev/null | tail -n 1 |
        awk '{printf "%.0f", $1 / 1024}'
}
plan_one=$(plan_mib 1)
plan_many=$(plan_mib 1000)
plan_wide=$(plan_mib 1000000)  # a million folders in one folder, a file in each
unset SYNC_CORE_PLUGIN_PATH
rm -rf "$smalls_out" "$creates"

times() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a / b}'; }
median_ratio() { cut -d' ' -f1 <<<"$1"; }
# The disk's file system, and whether it keeps a journal (jbd2 lists the devices that do).
disk=$(df --output=source "$work" | tail -n 1)
disk_fs=$(df --output=fstype "$work" | tail -n 1 | tr -d ' ')
if ls /proc/fs/jbd2 2>/dev/null | grep -q "^$(basename "$disk")-"; then disk_fs="$disk_fs with a journal"
elif [ "$disk_fs" = ext4 ]; then disk_fs="ext4 without a journal"; fi
cat >> docs/benchmarks.md <<MD

## Migration engine (issue: migration engine), side by side with rclone $(rclone version 2>/dev/null | head -n 1 | awk '{print $2}')

Both tools with their defaults (4 transfers), same data, same run, taking turns; rclone with an
empty config. Times are medians; the ratio is rclone's time over sync-core's in each pair.

| measurement | sync-core | rclone copy | target | result |
|---|---|---|---|---|
| 10,000 files of 4 KiB, local→local (\`cp -r\`: $(rate 10000 "$cp_small") files/s) | $(rate 10000 "$sc_small") files/s (${sc_small} s) | $(rate 10000 "$rc_small") files/s (${rc_small} s) | at least 1.5× rclone | $(ratio_text "$small_pairs"), $(verdict "$(median_ratio "$small_pairs")" 1.5) |
| 4 files of 1 GiB, local→local, verification on | $(rate 4096 "$sc_big") MiB/s (${sc_big} s) | $(rate 4096 "$rc_big") MiB/s (${rc_big} s) | at least 2× rclone | $(ratio_text "$big_pairs_text"), $(verdict "$(median_ratio "$big_pairs_text")" 2) |
| no-change re-run over 100,000 files (\`copy\`: listings, size and mtime) | ${sc_rerun} s | ${rc_rerun} s | at most half of rclone | $(ratio_text "$rerun_pairs") faster, $(verdict "$(median_ratio "$rerun_pairs")" 2) |
| the same with \`migrate\` (state database) | ${mig_rerun} s | — | — | one \`find\` walk of the source: ${walk_s} s |
| planning 1,000,000 entries in one folder, peak memory | ${plan_one} MiB | — | under 100 MB | $(awk -v v="$plan_one" 'BEGIN{print (v * 1.048576 < 100) ? "met" : "NOT met"}') |
| planning 1,000,000 entries in 1,000 folders, peak memory | ${plan_many} MiB | — | under 100 MB | $(awk -v v="$plan_many" 'BEGIN{print (v * 1.048576 < 100) ? "met" : "NOT met"}') |
| planning 1,000,000 folders in one folder (a file in each), peak memory | ${plan_wide} MiB | — | under 100 MB | $(awk -v v="$plan_wide" 'BEGIN{print (v * 1.048576 < 100) ? "met" : "NOT met"}') |

### How a small file is written

10,000 files of 4 KiB from 4 threads into 100 folders, the writing alone (Benchmarks/file_create.c,
no tool around it), the three ways taking turns, $create_rounds rounds. The local connector writes a file
under 8 MiB as an unnamed file (\`O_TMPFILE\`) linked under its name when complete; a larger one
under a hidden partial name renamed into place (the name is its resume token).

| way | median wall time | median system time | ratio to the unnamed file, per round |
|---|---|---|---|
| unnamed file, then \`linkat\` (sync-core, small files) | $(median_file "$work/create.unnamed") s | $(create_sys unnamed) s | — |
| partial name, then \`rename\` (sync-core, large files) | $(median_file "$work/create.partial") s | $(create_sys partial) s | $(ratio_text "$create_partial") the time |
| the target itself (rclone; not atomic) | $(median_file "$work/create.direct") s | $(create_sys direct) s | $(ratio_text "$create_direct") the time |

The unnamed file makes one change to the folder (the link) where the partial name makes two (a
create and a rename). On a file system with a journal, ext4 keeps an
unnamed file on its orphan list until it is linked (a lock and two journalled updates per file);
the disk measured here is $disk_fs. In runs of this comparison
alone (9 rounds, medians) the partial name took 1.12× the unnamed file's time on a fresh ext4 with a
journal (a loop device: 0.356 s against 0.320 s; a plain create 0.250 s) and 1.07× on this disk
(0.344 s against 0.323 s; a plain create 0.289 s). Rounds disturbed by the machine (ratios far from
1 both ways) pull the bench's own row toward 1×. A plain create
is the floor, and it leaves half a file under the real name when a run is killed.

### Why single runs mislead here

Two things outside either tool move a single run by 2× or more on this machine, and each explains
part of an earlier measurement in which sync-core's \`openat\`, \`linkat\` and \`pread64\` each looked two
to three times as costly per call as rclone's:

- **Recently freed inodes.** This machine's disk is ext4 without a journal, and then ext4 will not reuse
  an inode freed in the last 60 seconds (300 while its inode table block is dirty): every new file
  scans past them, one buffer look-up each (\`recently_deleted\`, \`find_inode_bit\`: 60% of a
  run's kernel samples right after a delete). A tool that runs after 10,000 files were deleted pays
  seconds of system time inside \`openat\`, whichever tool it is: measured right after such a delete,
  sync-core took 0.4 to 2.2 s and rclone 6.3 to 8.4 s for the same 10,000 files, against 0.4 and
  0.7 s on a settled disk. No run here deletes anything until all runs are done.
- **Page cache taken back.** The host reclaims this guest's cached pages between runs, so a tool
  can meet a cold source: its reads then wait for the disk (\`read_pages\`, \`io_schedule\` under
  sync-core's \`pread64\` in one profile, while rclone, running next, read from memory). Every run
  here starts with its source read back into memory.

With both kept out, sync-core's system time is below rclone's: on a settled disk 0.53 to 0.56 s
against 0.64 to 0.72 s for the 10,000 files, and on the fresh journalled ext4 0.49 to 0.70 s
against 0.77 to 0.96 s, with fewer system calls per file (11 against 21).

Writing 4 files of 1 GiB is the kernel's page cache at work for both tools (sync-core's own CPU for
it is about 1 s, CRC-32 included). How the bytes are handed to the kernel matters more than
anything else here: the kernel sizes each new page-cache folio by the write that makes it, and a
folio over 32 KiB is a "costly" allocation that may stall to compact memory. Right after an rclone
run (whose 32 KiB writes leave memory in small pieces), 4 GiB written in 1 MiB or 256 KiB calls
cost 12 to 15 s of system time (\`dd\` too), in 32 KiB calls 2.5 s, so the local connector writes
32 KiB at a time.

The no-change re-run reads metadata only: the kernel's \`stat\` of 200,000 entries (both trees) is
about 0.55 s of CPU by itself, and sync-core adds about 0.5 s of its own (rclone: about 1.6 s).

The \`migrate\` re-run asks its state database only where the listings cannot tell, so on these
stores (which keep modification times) it costs what \`copy\`'s does. A folder of more than
32,768 entries (\`--spill-after\`) is sorted on disk in runs and merged back, so the single folder of
1,000,000 entries is planned in as little memory as the 1,000 folders. Folders still to visit are
spilled past the same count, so a folder of a million subfolders does not hold them all either
(138 MiB before that, for the same tree).

Planning is measured with \`sync-core check\` between two synthetic accounts
(Benchmarks/synthetic_connector.c) that each list 1,000,000 files: both listings are planned, no
content is read. rclone's figures for this (≈ 290 MiB at 1M entries in 1,000 folders, ≈ 600 MiB in
one folder) are the issue's reference, not measured here.
MD

# --- 4. Put.io through the emulator (issue: Put.io) ------------------------------------------------
# 2 GiB in 1,000 files: putio:a → putio:b against the same tree copied local→local by the engine.
# The emulator (release build) runs on this machine too, so it shares the two cores.
media=$work/media
make_tree "$media" 1000 2097152 20
cat "$media"/*/* > /dev/null
"$bin/sync-emulator" putio --port 0 --accounts a,b --tokens-file "$work/tokens.json" > "$work/emulator.log" 2>&1 &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening "$work/emulator.log" && [ -s "$work/tokens.json" ] && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/emulator.log" | head -n 1)
for account in a b; do
    token=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/tokens.json" "$account")
    printf 'token=%s\n' "$token" | "$bin/sync-core" account add putio "$account" --set "api_url=$url" \
        --set "upload_url=$url" --stdin >/dev/null
done
upload_s=$(seconds sc copy "$media" putio:a/media)
# Each run records: wall seconds, sync-core's CPU seconds (user + system), the emulator's CPU seconds.
timed() {  # output file, sync-core arguments…
    local out=$1 e0 e1; shift
    e0=$(awk '{print $14 + $15}' "/proc/$emulator/stat")
    /usr/bin/time -f '%e %U %S' -o "$work/t" "$bin/sync-core" "$@" --no-progress >/dev/null 2>"$work/err" ||
        { cat "$work/err" >&2; return 1; }
    e1=$(awk '{print $14 + $15}' "/proc/$emulator/stat")
    awk -v e="$((e1 - e0))" '{printf "%s %.2f %.2f\n", $1, $2 + $3, e / 100}' "$work/t" >> "$out"
}
mkdir -p "$work/empty"
: > "$work/putio.sc"; : > "$work/putio.local"
for i in $(seq "$runs"); do
    cat "$media"/*/* > /dev/null; rm -rf "$work/o"; sync; timed "$work/putio.local" copy "$media" "$work/o"
    sync; timed "$work/putio.sc" migrate putio:a/media "putio:b/run$i"
    sc check putio:a/media "putio:b/run$i"
    # Empty it again (the emulator frees the blobs), so every run starts with the same free memory.
    sc sync "$work/empty" "putio:b/run$i" --allow-empty-source
done
rm -rf "$work/o"
# Requests per file, counted from the connector's own log (one debug line per HTTP request).
"$bin/sync-core" migrate putio:a/media putio:b/counted -v --no-progress > /dev/null 2> "$work/requests.log"
count() { grep -c "$1" "$work/requests.log" || true; }
req_total=$(grep -c '^sync-core: debug: putio: ' "$work/requests.log" || true)
req_list=$(count 'files/list')
req_lookup=$(count '/child?')
req_url=$(count '/url →')
req_get=$(count 'GET http://127.0.0.1:[0-9]*/download/')
req_tus_create=$(count 'POST http://127.0.0.1:[0-9]*/files/ →')
req_tus_patch=$(count 'PATCH ')
req_mkdir=$(count 'create-folder')
kill "$emulator" 2>/dev/null || true
wait "$emulator" 2>/dev/null || true
trap - EXIT
column_median() { awk -v c="$2" '{print $c}' "$1" | median_of; }  # file, column
putio_best=$(column_median "$work/putio.sc" 1)
putio_cpu=$(column_median "$work/putio.sc" 2)
emulator_cpu=$(column_median "$work/putio.sc" 3)
local_best=$(column_median "$work/putio.local" 1)
local_cpu=$(column_median "$work/putio.local" 2)
putio_pairs=$(paired "$work/putio.sc" "$work/putio.local")
putio_ratio=$(awk '{printf "%.0f", $1 * 100}' <<<"$putio_pairs")
per_file=$(awk -v r="$req_total" 'BEGIN{printf "%.2f", r / 1000}')
cat >> docs/benchmarks.md <<MD

## Put.io through the emulator (issue: Put.io)

2 GiB in 1,000 files of 2 MiB (20 folders), $runs pairs (the two copies taking turns; medians, and the
ratio of each pair). The emulator is a release build of
\`sync-emulator\` on 127.0.0.1, sharing the machine's cores with sync-core.

| measurement | sync-core | reference | target | result |
|---|---|---|---|---|
| \`migrate putio:a → putio:b\` (CRC-32 verified) | $(rate 2048 "$putio_best") MiB/s (${putio_best} s) | the same tree local→local by the engine: $(rate 2048 "$local_best") MiB/s (${local_best} s) | at least 70% of local→local | $(ratio_text "$putio_pairs" 100 %), $(verdict "$putio_ratio" 70) |
| CPU of the sync-core process in those runs (user + system) | ${putio_cpu} s, and the emulator ${emulator_cpu} s | local→local: ${local_cpu} s | the HTTP path must add little | $(times "$putio_cpu" "$local_cpu")× the local path's CPU |
| upload local → \`putio:a\` (once, for the data) | $(rate 2048 "$upload_s") MiB/s (${upload_s} s) | — | — | — |
| HTTP requests per file on that migration | ${per_file} (${req_total} for 1,000 files, 20 folders) | — | report; none a cache could save | see below |

On this machine the HTTP path is bound by CPU, and the emulator holds half of it: in a median run
sync-core used ${putio_cpu} s of CPU and the emulator ${emulator_cpu} s (it receives, checksums and
writes every byte a second time), together $(awk -v a="$putio_cpu" -v b="$emulator_cpu" -v w="$putio_best" -v n="$(nproc)" 'BEGIN{printf "%.0f", 100 * (a + b) / (w * n)}')% of the $(nproc) cores over the run's wall time; the
local→local copy has both cores to itself. The row that isolates what the HTTP path costs sync-core
is the CPU row.

Requests of the counted migration: ${req_list} listing pages (both sides: each folder listed once),
${req_lookup} name lookups, ${req_mkdir} folder creations, ${req_url} download-URL requests, ${req_get}
downloads, ${req_tus_create} tus creations and ${req_tus_patch} tus PATCHes. Per file that is one signed URL,
one download, one tus creation and one PATCH: the URL is fetched per open because Put.io does not
document how long one lives; ids come from the listings (the path cache), and existence checks are
skipped in folders the run created itself, so no lookup is spent on them.
MD
# --- 5. S3 against moto, side by side with rclone (issue: S3) ------------------------------------
scripts/bench-s3.sh "$bin" "$work" "$runs"

# --- 6. SFTP against OpenSSH's sshd, side by side with sftp and rclone (issue: SFTP) --------------
scripts/bench-sftp.sh "$bin" "$work" "$runs"

# --- 7. PikPak through its emulator (issue: PikPak) -------------------------------------------------
scripts/bench-pikpak.sh "$bin" "$work" "$runs"

# --- 8. Dropbox through its emulator (issue: Dropbox) -----------------------------------------------
scripts/bench-dropbox.sh "$bin" "$work" "$runs"

# --- 9. OneDrive through its emulator (issue: OneDrive) ---------------------------------------------
scripts/bench-onedrive.sh "$bin" "$work" "$runs"
cat docs/benchmarks.md
