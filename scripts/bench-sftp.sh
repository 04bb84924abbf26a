#!/usr/bin/env bash
# make bench, section 6: the SFTP connector against OpenSSH's sshd on 127.0.0.1, side by side with
# OpenSSH's own sftp client and rclone on the same server in the same run; appended to
# docs/benchmarks.md. Run by scripts/bench.sh, or alone:
#   scripts/bench-sftp.sh BIN_DIR WORK_DIR [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/bench-lib.sh "$@"

# The server: a host key, a client key and a config of its own (../shared/api/sftp.md §11).
srv=$work/sshd
rm -rf "$srv"; mkdir -p "$srv/data"
ssh-keygen -q -t ed25519 -N '' -f "$srv/host_key" -C bench-host
ssh-keygen -q -t ed25519 -N '' -f "$srv/client_key" -C bench-client
cp "$srv/client_key.pub" "$srv/authorized_keys"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$srv/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $srv/host_key
PidFile $srv/sshd.pid
AuthorizedKeysFile $srv/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 64
MaxSessions 64
Subsystem sftp internal-sftp
CFG
install -d -m 0755 /run/sshd
/usr/sbin/sshd -f "$srv/sshd_config" -D -E "$srv/sshd.log" &
sshd=$!
trap 'pkill -KILL -P "$sshd" 2>/dev/null; kill -9 "$sshd" 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q "Server listening" "$srv/sshd.log" 2>/dev/null && break; sleep 0.1; done
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$srv/host_key.pub")" > "$srv/known_hosts"
user=$(id -un)
root=$srv/data
server_cpu() {  # CPU ticks of sshd and of the sessions it forked and reaped (utime stime cutime cstime)
    awk '{print $14 + $15 + $16 + $17}' "/proc/$sshd/stat"
}

"$bin/sync-core" account add sftp bench --set host=127.0.0.1 --set "port=$port" --set "user=$user" \
    --set "key_file=$srv/client_key" --set "known_hosts=$srv/known_hosts" --set "root=$root" > /dev/null
export RCLONE_CONFIG_NAS_TYPE=sftp RCLONE_CONFIG_NAS_HOST=127.0.0.1 RCLONE_CONFIG_NAS_PORT=$port \
    RCLONE_CONFIG_NAS_USER=$user RCLONE_CONFIG_NAS_KEY_FILE=$srv/client_key \
    RCLONE_CONFIG_NAS_KNOWN_HOSTS_FILE=$srv/known_hosts
sc() { "$bin/sync-core" "$@" --no-progress >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }; }
rc() { rclone --config /dev/null "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; return 1; }; }
sf() {  # OpenSSH's sftp with a batch of commands
    printf '%s\n' "$@" > "$work/sftp.batch"
    sftp -q -b "$work/sftp.batch" -P "$port" -i "$srv/client_key" -o BatchMode=yes \
        -o "UserKnownHostsFile=$srv/known_hosts" "$user@127.0.0.1" >/dev/null 2>"$work/err" ||
        { cat "$work/err" >&2; return 1; }
}

big=$work/sftp-big
make_tree "$big" 1 1073741824 1
smalls=$work/sftp-small
make_tree "$smalls" 2000 16384 20
cat "$big"/*/* "$smalls"/*/* > /dev/null

for f in up-big down-big up-small; do for t in sc rc sf; do : > "$work/sftp-$f.$t"; done; done
# The tools take turns; what a run wrote is removed before the next, so the server's disk and page
# cache treat them alike.
for i in $(seq "$runs"); do
    timed "$work/sftp-up-big.sf" sf "put $big/d0000/f00000.bin $root/sf-big.bin"
    rm -f "$root/sf-big.bin"; sync
    timed "$work/sftp-up-big.sc" sc copy "$big" "sftp:bench/sc-big"
    rm -rf "$root/sc-big"; sync
    timed "$work/sftp-up-big.rc" rc copy "$big" "nas:$root/rc-big"
    rm -rf "$root/rc-big"; sync
done
sc copy "$big" "sftp:bench/src-big"
cat "$root/src-big"/*/* > /dev/null
for i in $(seq "$runs"); do
    rm -rf "$work/sftp-o"; mkdir -p "$work/sftp-o"; sync
    timed "$work/sftp-down-big.sf" sf "get $root/src-big/d0000/f00000.bin $work/sftp-o/big.bin"
    rm -rf "$work/sftp-o"; sync
    timed "$work/sftp-down-big.sc" sc copy "sftp:bench/src-big" "$work/sftp-o"
    cmp -s "$big/d0000/f00000.bin" "$work/sftp-o/d0000/f00000.bin" ||
        { echo "bench: the downloaded copy differs" >&2; exit 1; }
    rm -rf "$work/sftp-o"; sync
    timed "$work/sftp-down-big.rc" rc copy "nas:$root/src-big" "$work/sftp-o"
done
rm -rf "$work/sftp-o" "$root/src-big"
for i in $(seq "$runs"); do
    timed "$work/sftp-up-small.sf" sf "mkdir $root/sf-small" "put -r $smalls/* $root/sf-small"
    rm -rf "$root/sf-small"; sync
    timed "$work/sftp-up-small.sc" sc copy "$smalls" "sftp:bench/sc-small"
    rm -rf "$root/sc-small"; sync
    # rclone takes its turn once: at one md5sum command per file it takes minutes here (see the note
    # below), so that row has one pair.
    if [ "$i" = 1 ]; then
        timed "$work/sftp-up-small.rc" rc copy "$smalls" "nas:$root/rc-small"
        rm -rf "$root/rc-small"; sync
    fi
done
# How sync-core verified the small files: requests to the server's hashing processes.
"$bin/sync-core" copy -v "$smalls" "sftp:bench/sc-small-v" --no-progress > /dev/null 2> "$work/sftp-verify.log"
hash_batches=$(grep -c "sftp: one sha1sum for" "$work/sftp-verify.log" || true)
hash_files=$(grep "sftp: one sha1sum for" "$work/sftp-verify.log" | awk '{s += $(NF-1)} END {print s + 0}')
hash_processes=$(grep -c "started a sha1sum process" "$work/sftp-verify.log" || true)
pkill -KILL -P "$sshd" 2>/dev/null || true
kill -9 "$sshd" 2>/dev/null || true
trap - EXIT
rm -rf "$root"

column_median() { awk -v c="$2" '{print $c}' "$1" | median_of; }  # file, column
cell() {  # file, amount, unit
    local t c
    t=$(column_median "$1" 1); c=$(column_median "$1" 2)
    echo "$(rate "$2" "$t") $3 (${t} s; sshd ${c} s CPU)"
}
ratio_row() {  # label, set, amount, unit, reference tool, target percent
    local pairs
    pairs=$(paired "$work/sftp-$2.sc" "$work/sftp-$2.$5")
    echo "| $1 | $(cell "$work/sftp-$2.sc" "$3" "$4") | $(cell "$work/sftp-$2.sf" "$3" "$4") | $(cell "$work/sftp-$2.rc" "$3" "$4") | at least $6% of $([ "$5" = sf ] && echo sftp || echo rclone) | $(ratio_text "$pairs" 100 %), $(verdict "$(awk '{print $1 * 100}' <<<"$pairs")" "$6") |"
}
cat >> docs/benchmarks.md <<MD

## SFTP against OpenSSH's sshd (issue: SFTP), side by side with sftp and rclone $(rclone version 2>/dev/null | head -n 1 | awk '{print $2}')

$(/usr/sbin/sshd -V 2>&1 | head -n 1 | cut -d, -f1) on 127.0.0.1 (internal-sftp), sharing the machine's $(nproc) cores with the
tool measured; the server writes to the same disk. $runs rounds, the tools taking turns: medians,
and the ratio of the reference's time to sync-core's in each round; "sshd … s CPU" is the
server's CPU time in a run (median) (encryption, and the hashing the tools ask of it). sync-core verifies
every upload with the server's SHA-1 (sha1sum: small files through one hashing process per
session, the 1 GiB file while it is written) against the SHA-1 of the bytes it sent; rclone verifies with one md5sum command per file; OpenSSH's sftp
verifies nothing. Defaults otherwise (4 transfers for both sync-core and rclone).

| measurement | sync-core | OpenSSH sftp | rclone copy | target | result |
|---|---|---|---|---|---|
$(ratio_row "upload 1 file of 1 GiB" up-big 1024 MiB/s sf 90)
$(ratio_row "download 1 file of 1 GiB" down-big 1024 MiB/s sf 80)
$(ratio_row "upload 2,000 files of 16 KiB, verified" up-small 2000 files/s rc 300)

Verification of the 2,000 small files in one more sync-core run: $hash_files files hashed by the
server in $hash_batches requests to $hash_processes hashing processes (one per session), against
2,000 commands for rclone.
MD
