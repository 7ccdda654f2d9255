#!/usr/bin/env bash
# Runs the pipeline on every clip in SampleMedia/ (with its ticket, when it has one) inside
# ./demo-workspace, then says where the outputs and manifests are.
set -euo pipefail
bin=${1:-.build/debug/mediaorch}
root="$(cd "$(dirname "$0")/.." && pwd)"
ws="$root/demo-workspace"
mkdir -p "$ws/outbox"
for clip in "$root"/SampleMedia/*.mov "$root"/SampleMedia/*.mp4; do
  name=$(basename "$clip"); stem=${name%.*}
  ticket=()
  [ -f "$root/SampleMedia/$stem.job.json" ] && ticket=(--ticket "$root/SampleMedia/$stem.job.json")
  echo "== $name"
  "$bin" probe "$clip" > "$ws/outbox/$stem.probe.json"
  "$bin" process "$clip" "${ticket[@]}" --templates "$root/Jobs" --out "$ws/outbox/$stem"
done
echo
echo "Outputs and manifests are in $ws/outbox/<clip>/ (reply.mp4, manifest.json);"
echo "probe reports in $ws/outbox/<clip>.probe.json. Check a reply with: $bin validate $ws/outbox/kakuma_portrait/reply.mp4"
