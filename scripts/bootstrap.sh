#!/usr/bin/env bash
# Installs the Debian packages the build, the demo and the tests need, only when one is missing.
# Idempotent: a machine that has them all runs no apt-get at all.
set -euo pipefail
packages=(
  pkg-config
  libavformat-dev libavcodec-dev libavfilter-dev libavutil-dev libswscale-dev libswresample-dev
  libjpeg-dev
  libsqlite3-dev    # the job store (GRDB over the system SQLite)
  ffmpeg            # the tests' and benchmarks' independent oracle and baseline; never run by the product
  fonts-noto-core   # Arabic coverage (Noto Naskh/Sans Arabic) for burned-in captions
  fonts-dejavu-core
  python3
  python3-jsonschema  # the tests check manifests against Docs/manifest.schema.json
  chromium          # the dashboard's and the field page's browser tests (headless)
  curl              # the demo's and the tests' HTTP client
  postgresql-15     # the shared store's tests run on a throw-away cluster (scripts/with-postgres.sh)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# tuspy, a real tus client from PyPI, for the resumable-upload tests: into a folder of this
# checkout's own (.build-python), never into the system's Python.
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! PYTHONPATH="$root/.build-python" python3 -c "import tusclient" 2>/dev/null; then
  echo "bootstrap: installing tuspy into .build-python"
  if ! python3 -m pip --version >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
  fi
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$root/.build-python" tuspy
fi
# Playwright for Python drives Debian's Chromium in the browser tests (scripts/browser/), and
# axe-playwright-python carries axe-core's own build (axe.min.js, MPL-2.0) for their
# accessibility checks. Pinned; no browser is downloaded (the tests use /usr/bin/chromium).
if ! PYTHONPATH="$root/.build-python" python3 -c "import playwright.sync_api, axe_playwright_python" 2>/dev/null; then
  echo "bootstrap: installing playwright and axe-core into .build-python"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target "$root/.build-python" --upgrade \
    playwright==1.65.3 axe-playwright-python==0.1.8 tuspy
fi
command -v swift >/dev/null || { echo "bootstrap: the Swift toolchain is not on PATH" >&2; exit 1; }
pkg-config --exists libavformat libavcodec libavfilter libavutil libswscale libswresample libjpeg sqlite3 \
  || { echo "bootstrap: pkg-config cannot find the libav* 5.1 / libjpeg development files" >&2; exit 1; }
