#!/usr/bin/env bash
# Checks deploy/mediaorch.service with `systemd-analyze verify`.
#
#   scripts/check-systemd-unit.sh [MEDIAORCH_BINARY] [UNIT_FILE]
#
# MEDIAORCH_BINARY defaults to .build/debug/mediaorch (it exists after `swift build`); any executable
# will do, the unit is only parsed, never started. UNIT_FILE defaults to deploy/mediaorch.service.
#
# verify insists that ExecStart's program exists, so the unit is copied into a temporary folder
# with ExecStart's program replaced by MEDIAORCH_BINARY (the line numbers stay the same).
# Every line verify prints about the unit is a failure; lines about other units or about this
# machine are shown as notes. Exit status: 0 clean, 1 the unit has problems, 2 nothing could be
# checked (no binary, systemd-analyze could not run).
# Needs no running systemd: it works in a container whose PID 1 is something else.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${1:-$root/.build/debug/mediaorch}"
unit="${2:-$root/deploy/mediaorch.service}"

# systemd-analyze comes with Debian's `systemd` package. Installing it starts nothing in a container:
# its maintainer scripts only call `systemctl start/restart` when systemd is PID 1.
if ! command -v systemd-analyze >/dev/null; then
  if ! dpkg-query -W -f='${Status}' systemd 2>/dev/null | grep -q "install ok installed"; then
    command -v apt-get >/dev/null || { echo "check-systemd-unit: systemd-analyze is missing and there is no apt-get to install it" >&2; exit 2; }
    echo "check-systemd-unit: installing systemd (for systemd-analyze)"
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends systemd >/dev/null
  fi
  command -v systemd-analyze >/dev/null || { echo "check-systemd-unit: systemd is installed but systemd-analyze is not on PATH" >&2; exit 2; }
fi

[ -f "$unit" ] || { echo "check-systemd-unit: no unit file at $unit" >&2; exit 2; }
case "$binary" in /*) ;; *) binary="$PWD/$binary" ;; esac
if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
  echo "check-systemd-unit: $binary is not an executable file (build first: swift build; or pass a binary, e.g. /bin/true)" >&2
  exit 2
fi
case "$binary" in *[[:space:]\"\'\\%\$]*)
  echo "check-systemd-unit: $binary: a path with spaces, quotes, backslashes, % or \$ cannot go into ExecStart unquoted" >&2
  exit 2 ;;
esac

name="$(basename "$unit")"
case "$name" in *.service) ;; *) echo "check-systemd-unit: $unit: the file name must end in .service" >&2; exit 2 ;; esac
if [ "$(grep -c '^ExecStart=' "$unit")" -ne 1 ]; then
  echo "check-systemd-unit: $unit must have exactly one ExecStart= line" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Keep ExecStart's prefix characters (-@:+!) and arguments; replace only the program.
escaped="$(printf '%s' "$binary" | sed 's/[&|]/\\&/g')"
sed -E "s|^ExecStart=([-@:+!]*)[^[:space:]]+|ExecStart=\1$escaped|" "$unit" >"$tmp/$name"
# 0644 like an installed unit: verify warns about executable or world-writable unit files, and such a
# warning would be about this copy's mode, not about the unit.
chmod 0644 "$tmp/$name"

args=(verify --man=no)
# --recursive-errors (systemd >= 250): judge this unit only, not the units it names (network-online.target...).
version="$(systemd-analyze --version | sed -n 's/^systemd \([0-9]*\).*/\1/p')"
[ "${version:-0}" -ge 250 ] && args+=(--recursive-errors=no)

echo "check-systemd-unit: systemd-analyze ${args[*]} $unit (ExecStart program: $binary; systemd ${version:-?})"
set +e
output="$(cd "$tmp" && SYSTEMD_LOG_COLOR=0 systemd-analyze "${args[@]}" "$tmp/$name" 2>&1)"
status=$?
set -e

problems=0
while IFS= read -r line; do
  [ -n "$line" ] || continue
  shown="${line//"$tmp/$name"/$unit}"
  case "$line" in
    # Only with --user, or on a machine without a runtime directory: about the machine, not the unit.
    *"Failed to lookup RuntimeDirectory path"* | *"Failed to initialize manager"*)
      echo "  note (this machine): $shown" ;;
    *"$tmp/$name"* | *"$name"*)
      echo "  FAIL: $shown"
      problems=$((problems + 1))
      case "$line" in *"Unknown key"* | *"Unknown section"*)
        echo "        (a typo, or a setting newer than systemd ${version:-?}; Debian 12 ships 252, which knows every one used here)" ;;
      esac ;;
    *)
      echo "  note (not about $name): $shown" ;;
  esac
done <<<"$output"

if [ "$problems" -gt 0 ]; then
  echo "check-systemd-unit: $unit: $problems problem(s)" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "check-systemd-unit: systemd-analyze verify failed (status $status) without naming $name: it could not check the unit here" >&2
  exit 2
fi
echo "check-systemd-unit: $unit: OK"
