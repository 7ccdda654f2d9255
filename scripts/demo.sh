#!/usr/bin/env bash
# Runs the pipeline on every clip in SampleMedia/ inside ./demo-workspace and says where the results are.
set -euo pipefail
bin=${1:-.build/debug/mediaorch}
root="$(cd "$(dirname "$0")/.." && pwd)"
ws="$root/demo-workspace"
mkdir -p "$ws/probe"
for clip in "$root"/SampleMedia/*.mov "$root"/SampleMedia/*.mp4; do
  name=$(basename "$clip")
  "$bin" probe "$clip" > "$ws/probe/${name%.*}.json"
  echo "probed $name -> demo-workspace/probe/${name%.*}.json"
done
echo
echo "Outputs are in $ws"
