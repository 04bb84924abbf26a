#!/usr/bin/env bash
# make bench, section 7: the PikPak connector against the PikPak emulator (release build, on this
# machine's cores too): requests per file for a fresh migration of 1,000 small files and for its
# no-change re-run, and the client's CPU per GiB against the local→local path's, taking turns.
# Appended to docs/benchmarks.md. Run by scripts/bench.sh, or alone:
#   scripts/bench-pikpak.sh BIN_DIR WORK_DIR [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh "$@"

"$bin/sync-emulator" pikpak --port 0 --accounts p --passwords-file "$work/pikpak-passwords.json" \
    > "$work/pikpak-emulator.log" 2>&1 &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q listening "$work/pikpak-emulator.log" && [ -s "$work/pikpak-passwords.json" ] && break
    sleep 0.1
done
url=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/pikpak-emulator.log" | head -n 1)
password=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['p'])" "$work/pikpak-passwords.json")
# The emulator accepts any salts; the real service needs the client's (docs/pikpak.md).
printf 'password=%s\ncaptcha_salts=bench-a,bench-b\n' "$password" | "$bin/sync-core" account add pikpak p \
    --set username=p --set "user_url=$url" --set "api_url=$url" --set "storage_url=$url" --stdin > /dev/null
server_cpu() { awk '{print $14 + $15}' "/proc/$emulator/stat"; }

# Requests: one debug line per HTTP request in the connector's log.
smalls=$work/pikpak-small
make_tree "$smalls" 1000 16384 20
"$bin/sync-core" migrate "$smalls" pikpak:p/small -v --no-progress > /dev/null 2> "$work/pikpak-fresh.log"
"$bin/sync-core" migrate "$smalls" pikpak:p/small -v --no-progress > /dev/null 2> "$work/pikpak-rerun.log"
requests() { grep -c '^sync-core: debug: pikpak: ' "$1" || true; }
count() { grep -c "$2" "$1" || true; }
fresh=$(requests "$work/pikpak-fresh.log")
rerun=$(requests "$work/pikpak-rerun.log")
fresh_listings=$(count "$work/pikpak-fresh.log" 'pikpak: GET [^ ]*/drive/v1/files?')
fresh_tickets=$(count "$work/pikpak-fresh.log" 'pikpak: POST [^ ]*/drive/v1/files →')
fresh_puts=$(count "$work/pikpak-fresh.log" 'pikpak: PUT ')
fresh_gets=$(count "$work/pikpak-fresh.log" 'pikpak: GET [^ ]*/drive/v1/files/VN')
fresh_auth=$(count "$work/pikpak-fresh.log" 'pikpak: POST [^ ]*/v1/\(auth\|shield\)')
rerun_listings=$(count "$work/pikpak-rerun.log" 'pikpak: GET [^ ]*/drive/v1/files?')
rerun_auth=$(count "$work/pikpak-rerun.log" 'pikpak: POST [^ ]*/v1/\(auth\|shield\)')

# CPU per GiB: 256 MiB of new random content per run (content PikPak already has would complete
# at the ticket without a byte sent), local → pikpak against the same tree local → local, in turns.
cpu_run() {  # output file, sync-core arguments…
    local out=$1 c0 c1; shift
    c0=$(server_cpu)
    /usr/bin/time -f '%e %U %S' -o "$work/t" "$bin/sync-core" "$@" --no-progress > /dev/null 2> "$work/err" ||
        { cat "$work/err" >&2; return 1; }
    c1=$(server_cpu)
    awk -v e="$((c1 - c0))" '{printf "%s %.2f %.2f\n", $1, $2 + $3, e / 100}' "$work/t" >> "$out"
}
: > "$work/pikpak-cpu.pp"; : > "$work/pikpak-cpu.local"
for i in $(seq "$runs"); do
    rm -rf "$work/pikpak-big" "$work/pikpak-local-out"
    make_tree "$work/pikpak-big" 4 67108864 1
    cat "$work/pikpak-big"/*/* > /dev/null
    sync; cpu_run "$work/pikpak-cpu.pp" copy "$work/pikpak-big" "pikpak:p/big$i"
    sync; cpu_run "$work/pikpak-cpu.local" copy "$work/pikpak-big" "$work/pikpak-local-out"
done
# The same content once more: PikPak has it, so the upload is the ticket alone.
cpu_run "$work/pikpak-cpu.instant" copy "$work/pikpak-big" "pikpak:p/again"
rm -rf "$work/pikpak-big" "$work/pikpak-local-out"
kill "$emulator" 2>/dev/null || true
wait "$emulator" 2>/dev/null || true
trap - EXIT

column_median() { awk -v c="$2" '{print $c}' "$1" | median_of; }
pp_cpu=$(column_median "$work/pikpak-cpu.pp" 2)
local_cpu=$(column_median "$work/pikpak-cpu.local" 2)
emu_cpu=$(column_median "$work/pikpak-cpu.pp" 3)
pp_wall=$(column_median "$work/pikpak-cpu.pp" 1)
# CPU seconds alone, pair by pair: pikpak's over local's.
awk '{print $2}' "$work/pikpak-cpu.pp" > "$work/pikpak-cpu.pp.cpu"
awk '{print $2}' "$work/pikpak-cpu.local" > "$work/pikpak-cpu.local.cpu"
cpu_pairs=$(paired "$work/pikpak-cpu.local.cpu" "$work/pikpak-cpu.pp.cpu")
cpu_ratio=${cpu_pairs%% *}
read -r instant_wall instant_cpu _ < "$work/pikpak-cpu.instant"
cat >> docs/benchmarks.md <<MD

## PikPak through the emulator (issue: PikPak)

The emulator is a release build of \`sync-emulator pikpak\` on 127.0.0.1, sharing the machine's
$(nproc) cores with sync-core. Requests are counted from the connector's log (one line per HTTP request).

| measurement | sync-core | reference | target | result |
|---|---|---|---|---|
| requests per file, fresh \`migrate\` of 1,000 files of 16 KiB (20 folders) | $(awk -v r="$fresh" 'BEGIN{printf "%.2f", r / 1000}') ($fresh) | — | the API's minimum | see below |
| requests, no-change re-run of it | $rerun | — | listing pages only (and the process's captcha token) | $rerun_listings listing pages and $rerun_auth captcha or token calls, $([ "$rerun" = "$((rerun_listings + rerun_auth))" ] && echo met || echo "NOT met") |
| client CPU, 256 MiB of new content local → pikpak (medians of $runs, taking turns) | ${pp_cpu} s ($(awk -v c="$pp_cpu" 'BEGIN{printf "%.1f", c * 4}') s per GiB; ${pp_wall} s wall, the emulator ${emu_cpu} s CPU) | local→local: ${local_cpu} s | at most 1.5× local→local | $(ratio_text "$cpu_pairs"), $(awk -v r="$cpu_ratio" 'BEGIN{print (r <= 1.5) ? "met" : "NOT met"}') |
| the same content again (PikPak has it: the ticket completes it) | ${instant_cpu} s CPU, ${instant_wall} s wall | — | no bytes sent | — |

The fresh migration's requests: $fresh_listings listing pages, $fresh_tickets upload tickets and
folder creations, $fresh_puts storage PUTs, $fresh_gets file look-ups by id (each upload's completion
and GCID are read back before the file is reported), $fresh_auth sign-in and captcha calls. Per file
that is the ticket, the PUT and the completion check: the three calls PikPak's upload sequence needs.

Where the upload's CPU goes. PikPak announces every upload by its GCID, before the first byte:
the local disk computes it first (a read of the file and a SHA-1 pass; ABI 1.3 known hashes), and
the engine hashes the bytes again as they stream, the verification every copy gets — two SHA-1
passes over every byte, a second read, and the bytes sent over loopback HTTP in one streamed PUT
per file (below \`upload_cutoff\`). Nothing is written to disk on this side. The local→local copy
reads once, computes one CRC-32 at memory speed and writes the bytes to disk, and the kernel's
cost of that write is what swings from run to run: the pairs where writing was cheap are the
high end of the spread, and there the two SHA-1 passes alone weigh about as much as the whole
local copy, so the target is met by the median, not in every pair. Earlier steps: 7.8× with a temporary file written in large
blocks, about 4× with it written 32 KiB at a time and request bodies unsigned
(\`UNSIGNED-PAYLOAD\`; the file is checked by its GCID), and now no temporary file and no third hash
(the connector takes the GCID it is given). A source without a GCID it can compute (Put.io) still
spools and hashes in the connector.
MD
