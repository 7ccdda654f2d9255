#!/usr/bin/env bash
# The demo: drops the SampleMedia clips (with their tickets and captions) into the inbox of
# ./demo-workspace, runs the service until their jobs are done, and says where everything is.
set -euo pipefail
bin=${1:-.build/debug/mediaorch}
root="$(cd "$(dirname "$0")/.." && pwd)"
ws="$root/demo-workspace"
rm -rf "$ws"
mkdir -p "$ws/inbox"
# Sidecars first, clips last (renamed in from a hidden name, as a careful uploader does).
cp "$root"/SampleMedia/*.job.json "$root"/SampleMedia/*.srt "$root"/SampleMedia/*.vtt "$ws/inbox/"
for clip in "$root"/SampleMedia/*.mov "$root"/SampleMedia/*.mp4; do
  name=$(basename "$clip")
  cp "$clip" "$ws/inbox/.$name.part" && mv "$ws/inbox/.$name.part" "$ws/inbox/$name"
done
echo "== mediaorch watch (until the inbox is empty and every job has finished)"
# No HTTP here: the demo ends by itself (and must not need port 8080 free).
"$bin" watch --workspace "$ws" --until-idle --no-http
echo
echo "== mediaorch jobs list"
"$bin" jobs list --workspace "$ws"
echo
echo "Originals (never modified): $ws/archive/"
echo "Outputs and manifests:"
for manifest in "$ws"/outbox/*/manifest.json; do
  echo "  $manifest"
done
echo "Look at a reply:    $bin validate $(ls "$ws"/outbox/*/reply.mp4 | head -1)"
echo "See a job's tries:  $bin jobs show <job-id> --workspace $ws"
echo "The dashboard:      token=\$($bin tokens add --role producer --workspace $ws)"
echo "                    $bin watch --workspace $ws &"
echo "                    then open http://127.0.0.1:8080/#token=\$token"
