# Helpers shared by the bench sections that run on their own (bench-s3.sh, bench-sftp.sh): source it
# with the section's arguments, BIN_DIR WORK_DIR [RUNS]. It sets bin, work and runs, and gives the
# section a HOME and a state database of its own under WORK_DIR.
bin=$1 work=$2 runs=${3:-3}
export HOME=$work/home SYNC_CORE_STATE=$work/state.db
mkdir -p "$HOME"

ns() { date +%s%N; }
best_of() { sort -g | head -n 1; }
median_of() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# The tools take turns (A B A B …), so line i of A's timings and line i of B's are one pair, run back
# to back on the same disk and memory state. One lucky run proves nothing on this machine (its disk
# and memory state move a single run by 2×); the ratio of each pair, and the median of those ratios
# with their lowest and highest, does not depend on how the machine fared between pairs.
# Prints: median lowest highest pairs, of B's seconds over A's (first column of each file).
paired() {  # file A, file B
    python3 - "$1" "$2" <<'PY'
import statistics, sys
a, b = ([float(line.split()[0]) for line in open(f) if line.strip()] for f in sys.argv[1:3])
ratios = sorted(y / x for x, y in zip(a, b))
print("%.2f %.2f %.2f %d" % (statistics.median(ratios), ratios[0], ratios[-1], len(ratios)))
PY
}
# "1.84× (1.52–2.10, 7 pairs)" from paired's output; with a scale of 100, percentages.
ratio_text() {  # "median low high pairs", [scale, unit]
    local scale=${2:-1} unit=${3:-×}
    awk -v s="$scale" -v u="$unit" '{
        f = (s == 1) ? "%.2f" : "%.0f"
        print sprintf(f, $1 * s) u " (" sprintf(f, $2 * s) "–" sprintf(f, $3 * s) ", " $4 ($4 == 1 ? " pair)" : " pairs)")
    }' <<<"$1"
}
rate() { awk -v n="$1" -v s="$2" 'BEGIN{printf "%.0f", n / s}'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.0f", 100 * a / b}'; }
verdict() { awk -v v="$1" -v t="$2" 'BEGIN{print (v >= t) ? "met" : "NOT met"}'; }

make_tree() {  # folder, files, bytes, folders: random files, kept when already there
    [ -d "$1" ] && [ "$(find "$1" -type f | wc -l)" = "$2" ] && return
    rm -rf "$1"
    python3 - "$1" "$2" "$3" "$4" <<'PY'
import os, sys
root, files, size, folders = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for i in range(files):
    d = os.path.join(root, "d%04d" % (i % folders))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%05d.bin" % i), "wb") as f:
        f.write(os.urandom(size))
PY
}

# One timing appended to a file: wall seconds and the CPU seconds of the server under test over it
# (each script defines server_cpu, in clock ticks).
timed() {  # output file, command…
    local out=$1 c0 c1 t0 t1; shift
    c0=$(server_cpu); t0=$(ns)
    "$@"
    t1=$(ns); c1=$(server_cpu)
    awk -v a="$t0" -v b="$t1" -v c="$((c1 - c0))" 'BEGIN{printf "%.3f %.2f\n", (b - a) / 1e9, c / 100}' >> "$out"
}
