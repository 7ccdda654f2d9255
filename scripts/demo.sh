#!/usr/bin/env bash
# The demo, both ways a clip arrives:
#  - the inbox: SampleMedia's Shatila and 4:3 clips (with tickets and captions) dropped into
#    ./demo-workspace/inbox, as a team with the folder mounted does;
#  - the field path: the command centre makes a reply request for camp Kakuma, and Kakuma's
#    phone sends kakuma_portrait.mov against it by tus in two pieces (as over a link that
#    dropped half way), with its caption files.
# Runs the service until every job is done, then prints the request's state and where
# everything is.
set -euo pipefail
bin=${1:-.build/debug/mediaorch}
root="$(cd "$(dirname "$0")/.." && pwd)"
ws="$root/demo-workspace"
rm -rf "$ws"
mkdir -p "$ws/inbox"
b64() { printf %s "$1" | base64 -w0; }

port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
producer=$("$bin" tokens add --role producer --name "demo command centre" --workspace "$ws" 2>/dev/null)
field=$("$bin" tokens add --role uploader --camp Kakuma --name "demo kakuma phone" --workspace "$ws" 2>/dev/null)

echo "== mediaorch watch (HTTP on $base), logging to $ws/watch.log"
"$bin" watch --workspace "$ws" --port "$port" > "$ws/watch.log" 2>&1 &
service=$!
trap 'kill $service 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && break; sleep 0.1; done

echo "== the inbox: Shatila's clip and a silent 4:3 clip, sidecars first"
cp "$root"/SampleMedia/shatila_landscape.job.json "$root"/SampleMedia/layla.* "$ws/inbox/"
for clip in "$root"/SampleMedia/shatila_landscape.mp4 "$root"/SampleMedia/silent_4x3.mp4; do
  name=$(basename "$clip")
  cp "$clip" "$ws/inbox/.$name.part" && mv "$ws/inbox/.$name.part" "$ws/inbox/$name"
done

echo "== the field path: a reply request for Kakuma"
request=$("$bin" requests add --workspace "$ws" --tweet-url "https://x.com/sarabashiri/status/1620000000000000001?s=20" \
  --text "Where do the children in Kakuma go to school?" --camp Kakuma --languages en,ar \
  --note "Film outside, in the shade" --deadline "$(date -u -d '+6 hours' +%Y-%m-%dT%H:%M:%SZ)")
echo "   request $request (open): the Kakuma phone sees it at $base/field"
curl -sf -H "Authorization: Bearer $field" "$base/api/requests" | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    print("   the field token sees:", r["id"], "reply to", r["handle"] + ":", r["tweet_text"])'

echo "== Kakuma's phone: caption files, then the clip by tus, half, a drop, then the rest"
for srt in abu.en.srt abu.ar.srt; do
  curl -sf -o /dev/null -H "Authorization: Bearer $field" -T "$root/SampleMedia/$srt" "$base/api/uploads/$srt"
done
clip="$root/SampleMedia/kakuma_portrait.mov"
size=$(stat -c %s "$clip")
half=$((size / 2))
captions='[{"file": "abu.en.srt", "language": "en", "burn": true}, {"file": "abu.ar.srt", "language": "ar", "burn": false}]'
location=$(curl -sf -D - -o /dev/null -X POST "$base/api/tus/" -H "Authorization: Bearer $field" -H "Tus-Resumable: 1.0.0" \
  -H "Upload-Length: $size" \
  -H "Upload-Metadata: filename $(b64 kakuma-abu.mov),request $(b64 "$request"),speaker $(b64 Abu),consent $(b64 true),captions $(b64 "$captions")" \
  | tr -d '\r' | awk 'tolower($1) == "location:" { print $2 }')
tus_patch() { # offset, then the bytes on stdin
  curl -sf -o /dev/null -X PATCH "$base$location" -H "Authorization: Bearer $field" -H "Tus-Resumable: 1.0.0" \
    -H "Upload-Offset: $1" -H "Content-Type: application/offset+octet-stream" --data-binary @-
}
head -c "$half" "$clip" | tus_patch 0
offset=$(curl -sfI "$base$location" -H "Authorization: Bearer $field" -H "Tus-Resumable: 1.0.0" | tr -d '\r' | awk 'tolower($1) == "upload-offset:" { print $2 }')
echo "   $location: the link dropped; HEAD says $offset of $size bytes are in; carrying on"
tail -c +$((offset + 1)) "$clip" | tus_patch "$offset"
echo "   whole: handed to ingest"

echo "== rendering (until no job is queued or running)"
for _ in $(seq 600); do
  if "$bin" jobs list --json --workspace "$ws" | python3 -c \
      'import json,sys; jobs=json.load(sys.stdin); sys.exit(0 if jobs and all(j["state"] not in ("queued","running","failed") for j in jobs) else 1)'; then
    break
  fi
  sleep 1
done
kill "$service"; wait "$service" 2>/dev/null || true
trap - EXIT
echo
echo "== mediaorch jobs list"
"$bin" jobs list --workspace "$ws"
echo
echo "== mediaorch requests list"
"$bin" requests list --workspace "$ws"
echo
echo "Originals (never modified): $ws/archive/"
echo "Outputs and manifests:"
for manifest in "$ws"/outbox/*/manifest.json; do
  echo "  $manifest"
done
echo "Look at a reply:    $bin validate $(ls "$ws"/outbox/*/reply.mp4 | head -1)"
echo "See a job's tries:  $bin jobs show <job-id> --workspace $ws"
echo "Once posted on X:   $bin jobs posted <job-id> https://x.com/<you>/status/<id> --workspace $ws"
echo "The dashboard:      $bin watch --workspace $ws &   then open http://127.0.0.1:8080/#token=$producer"
echo "The field page:     http://127.0.0.1:8080/field#token=$field"
