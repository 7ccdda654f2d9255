#!/usr/bin/env bash
# Vendors Mediabunny (MPL-2.0, https://github.com/Vanilagy/mediabunny) for the field page: bundles
# only what Sources/MediaOrchestrator/HTTP/Field/vendor/mediabunny-entry.ts exports into one
# minified ES module, gzipped, which the server serves at /field/vendor/mediabunny.mjs
# (Content-Encoding: gzip) and field.js imports when a clip is sent, to make its proxy.
#
# Usage: scripts/update-mediabunny.sh VERSION [SOURCE]
#   SOURCE  a Mediabunny git directory (bare or not; tag vVERSION), a checkout of that version,
#           or its npm .tgz. Without it: the npm tarball, else GitHub's archive of tag vVERSION.
#
# Writes, in Sources/MediaOrchestrator/HTTP/Field/vendor/:
#   mediabunny.min.mjs.gz   the bundle (gzip -9 -n: the same source gives the same bytes)
#   LICENSE.mediabunny      the MPL-2.0 text from the source
#   VERSION                 version, the source used, sha256 of the .gz
#
# Built with Debian bookworm's esbuild (0.17), installed here if missing. Mediabunny after 1.41.0
# uses TypeScript `using` declarations, which esbuild 0.17 cannot parse: that is why it is pinned.
set -euo pipefail

version="${1:?usage: $0 VERSION [SOURCE]}"
source="${2:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/Sources/MediaOrchestrator/HTTP/Field/vendor"
entry="$vendor/mediabunny-entry.ts"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! command -v esbuild >/dev/null; then
  echo "installing esbuild (Debian package)…" >&2
  apt-get install -y esbuild >&2
fi

# ---- the source of that version, in $work/pkg (src/, shared/, LICENSE, package.json) ----------
mkdir -p "$work/pkg"
from_tgz() {   # an npm tarball (package/…) or GitHub's archive (mediabunny-VERSION/…)
  tar -xzf "$1" -C "$work/pkg" --strip-components=1
}
if [[ -n "$source" && -d "$source" && ( -d "$source/objects" || -d "$source/.git" ) ]]; then
  tag="v$version"
  git -C "$source" rev-parse -q --verify "refs/tags/$tag^{commit}" >/dev/null || tag="$version"
  commit="$(git -C "$source" rev-parse "$tag^{commit}")"
  # Only these paths: a partial mirror may lack big blobs elsewhere (docs, test media); git then
  # complains about them on stderr although the archive of these paths is whole.
  git -C "$source" archive "$commit" src shared LICENSE package.json 2>"$work/git.err" | tar -x -C "$work/pkg"
  [[ -f "$work/pkg/src/index.ts" ]] || { cat "$work/git.err" >&2; echo "no src/index.ts at $tag in $source" >&2; exit 1; }
  used="git $source, tag $tag, commit $commit"
elif [[ -n "$source" && -d "$source" ]]; then
  [[ -f "$source/src/index.ts" ]] || { echo "$source: not a Mediabunny checkout (no src/index.ts)" >&2; exit 1; }
  cp -r "$source/src" "$source/LICENSE" "$source/package.json" "$work/pkg/"
  [[ -d "$source/shared" ]] && cp -r "$source/shared" "$work/pkg/"
  used="checkout $source"
elif [[ -n "$source" && -f "$source" ]]; then
  from_tgz "$source"
  used="tarball $source, sha256 $(sha256sum "$source" | cut -d' ' -f1)"
else
  npm_url="https://registry.npmjs.org/mediabunny/-/mediabunny-$version.tgz"
  github_url="https://github.com/Vanilagy/mediabunny/archive/refs/tags/v$version.tar.gz"
  if curl -fsSL --max-time 120 -o "$work/src.tgz" "$npm_url"; then
    used="$npm_url"
  elif curl -fsSL --max-time 300 -o "$work/src.tgz" "$github_url"; then
    used="$github_url"
  else
    echo "could not fetch Mediabunny $version from npm or GitHub; pass a SOURCE" >&2
    exit 1
  fi
  from_tgz "$work/src.tgz"
  used="$used, sha256 $(sha256sum "$work/src.tgz" | cut -d' ' -f1)"
fi

# An npm tarball carries src/ but not the shared/ folder beside it that src/ imports; it has that
# folder compiled, in dist/modules/shared, which serves the same imports.
if [[ ! -d "$work/pkg/shared" && -d "$work/pkg/dist/modules/shared" ]]; then
  cp -r "$work/pkg/dist/modules/shared" "$work/pkg/shared"
fi
[[ -f "$work/pkg/src/index.ts" && -d "$work/pkg/shared" ]] || { echo "the source has no src/index.ts and shared/" >&2; exit 1; }

found="$(sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$work/pkg/package.json" | head -n1)"
[[ "$found" == "$version" ]] || { echo "the source is Mediabunny $found, not $version" >&2; exit 1; }
[[ -f "$work/pkg/LICENSE" ]] || { echo "the source has no LICENSE" >&2; exit 1; }

# ---- bundle ---------------------------------------------------------------------------------
# Upstream compiles with its tsconfig's target ES2021, so class fields keep assignment semantics;
# the same is forced here whatever the source's tsconfig files (an npm tarball has only part).
cat >"$work/tsconfig.json" <<'JSON'
{ "compilerOptions": { "target": "ES2021", "useDefineForClassFields": false, "strict": true } }
JSON
banner="/*! Mediabunny $version (https://mediabunny.dev), bundled for the MediaOrchestrator field page.
 * Copyright (c) 2026-present, Vanilagy and contributors
 * This Source Code Form is subject to the terms of the Mozilla Public License, v. 2.0. If a copy of
 * the MPL was not distributed with this file, You can obtain one at https://mozilla.org/MPL/2.0/.
 * Source Code Form: https://github.com/Vanilagy/mediabunny/tree/v$version (src/), and
 * Sources/MediaOrchestrator/HTTP/Field/vendor/mediabunny-entry.ts for what is exported. */"
cp "$entry" "$work/entry.ts"
# `mediabunny` resolves to the source; the package.json beside it maps its Node-only module
# (src/node.ts) to nothing for the browser, as it does for upstream's own bundles.
esbuild "$work/entry.ts" --bundle --format=esm --target=es2021 --minify --platform=browser \
  --alias:mediabunny="$work/pkg/src/index.ts" --tsconfig="$work/tsconfig.json" \
  --legal-comments=none --banner:js="$banner" --log-level=warning \
  --outfile="$work/mediabunny.min.mjs"
if grep -q '"node:' "$work/mediabunny.min.mjs"; then
  echo "the bundle imports a Node module; it would not load in a browser" >&2
  exit 1
fi

# ---- outputs --------------------------------------------------------------------------------
mkdir -p "$vendor"
gzip -9 -n -c "$work/mediabunny.min.mjs" >"$work/mediabunny.min.mjs.gz"
mv "$work/mediabunny.min.mjs.gz" "$vendor/mediabunny.min.mjs.gz"
cp "$work/pkg/LICENSE" "$vendor/LICENSE.mediabunny"
sum="$(sha256sum "$vendor/mediabunny.min.mjs.gz" | cut -d' ' -f1)"
cat >"$vendor/VERSION" <<EOF
mediabunny $version
source: $used
esbuild: $(esbuild --version)
bundle: mediabunny.min.mjs.gz, $(stat -c %s "$work/mediabunny.min.mjs") bytes minified, $(stat -c %s "$vendor/mediabunny.min.mjs.gz") gzipped
sha256: $sum
EOF
cat "$vendor/VERSION"
