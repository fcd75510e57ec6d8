#!/bin/bash
# Submit a sharded verity run to Slurm: a job array of SHARDS tasks (shard.sbatch) and a
# merge job (merge.sbatch) that runs when all of them have succeeded. Prints the job ids.
#   BENCH=bench VENDOR=vendor.toml PARTS=/shared/parts OUT=/shared/run SHARDS=8 \
#       examples/slurm/submit.sh
# With WAIT=1 it waits for the merge to finish (and fails if it failed).
set -euo pipefail
: "${BENCH:?}" "${VENDOR:?}" "${PARTS:?}" "${OUT:?}" "${SHARDS:?}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$PARTS"
array=$(sbatch --parsable --chdir="$PARTS" --array="1-$SHARDS" --export=ALL "$here/shard.sbatch")
wait_flag=()
[[ -n ${WAIT:-} ]] && wait_flag=(--wait)
merge=$(sbatch --parsable --chdir="$PARTS" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
    --export=ALL "${wait_flag[@]}" "$here/merge.sbatch")
echo "array $array, merge $merge"
