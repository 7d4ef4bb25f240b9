#!/usr/bin/env bash
# Runs the Slurm recipe for real on this machine: a single-node Slurm (Debian's slurm-wlm and munge)
# is configured and started, Docs/cluster/segment-array.slurm runs as an array of 3 tasks over the
# sample scenes, then `maskscope merge` and `maskscope eval`; the figures must equal one unsharded run's.
# Needs root (it installs packages and starts daemons) and a release build. Its slurm.conf lives in a
# temporary folder (SLURM_CONF), never in /etc/slurm, and it refuses to run beside a running slurmctld:
#
#   swift build -c release && sudo bash Docs/cluster/test-slurm-local.sh
#
# It stops the daemons it started when it ends. MASKSCOPE=path overrides the binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
maskscope=${MASKSCOPE:-$root/.build/release/maskscope}
[ -x "$maskscope" ] || { echo "test-slurm-local: $maskscope not found; run swift build -c release first" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "test-slurm-local: needs root (it starts munged, slurmctld and slurmd)" >&2; exit 1; }
if pgrep -x slurmctld >/dev/null || pgrep -x slurmd >/dev/null; then
    echo "test-slurm-local: a Slurm daemon is already running on this machine; this test starts its own single-node cluster" >&2
    exit 1
fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
fi

work=$(mktemp -d /tmp/maskscope-slurm.XXXXXX)
chmod 755 "$work"
started=()
cleanup() {
    for pid in "${started[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 1
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# munge: the key the package made (or a new one), the daemon as the munge user.
[ -s /etc/munge/munge.key ] || { mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null; }
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
if ! pgrep -x munged >/dev/null; then
    runuser -u munge -- /usr/sbin/munged --force --foreground >"$work/munged.log" 2>&1 &
    started+=($!)
fi

# slurm: one node, this machine, every CPU and 80 % of the memory, no accounting, no cgroups.
host=$(hostname -s)
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 8 / 10 ))
mkdir -p "$work/state" "$work/spool" "$work/log"
export SLURM_CONF=$work/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=maskscope-test
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
# In the foreground (-D) as children of this script: no init system needed, and stopped on exit.
slurmctld -D >"$work/log/slurmctld.out" 2>&1 &
started+=($!)
sleep 1
slurmd -D >"$work/log/slurmd.out" 2>&1 &
started+=($!)
ready=no
for _ in $(seq 1 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed)'; then ready=yes; break; fi
    sleep 0.5
done
[ "$ready" = yes ] || { tail -n 20 "$work"/log/* >&2; echo "test-slurm-local: the node never became idle" >&2; exit 1; }
sinfo -h -o '%P %D %T %c CPUs' | sed 's/^/slurm: /'

images=$root/SampleImages/shapes
truth=(--panoptic-json "$root/Tests/Fixtures/shapes-sample/panoptic.json" --panoptic-dir "$root/Tests/Fixtures/shapes-sample/panoptic")

# The recipe as a user submits it, with resources this machine has (command-line options override #SBATCH).
start=$(date +%s%N)
job=$(MASKSCOPE="$maskscope" sbatch --parsable --wait --array=0-2 --cpus-per-task=1 --mem=2G \
        --output="$work/task-%a.log" --chdir="$work" --export=ALL,MASKSCOPE="$maskscope" \
        "$root/Docs/cluster/segment-array.slurm" "$images" "$work/sharded") || { cat "$work"/task-*.log >&2; exit 1; }
echo "slurm: array job $job: 3 tasks done in $(( ($(date +%s%N) - start) / 1000000 )) ms"
for task in 0 1 2; do sed "s/^/task $task: /" "$work/task-$task.log"; done
"$maskscope" merge "$work/sharded"
"$maskscope" eval --predictions "$work/sharded" "${truth[@]}" --json "$work/sharded.json" > "$work/sharded.txt"

# One unsharded run of the same command, no scheduler.
env -u SLURM_ARRAY_TASK_ID "$maskscope" segment "$images" --out "$work/whole" --task all 2>/dev/null
"$maskscope" merge "$work/whole" 2>/dev/null
"$maskscope" eval --predictions "$work/whole" "${truth[@]}" --json "$work/whole.json" > "$work/whole.txt" 2>/dev/null

cat "$work/sharded.txt"
if cmp -s "$work/sharded.json" "$work/whole.json" && cmp -s "$work/sharded.txt" "$work/whole.txt"; then
    echo "test-slurm-local: passed: the 3-task array's merged figures equal the unsharded run's"
else
    diff "$work/whole.txt" "$work/sharded.txt" >&2 || true
    echo "test-slurm-local: FAILED: the sharded figures differ from the unsharded run's" >&2
    exit 1
fi
