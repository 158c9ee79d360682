#!/usr/bin/env bash
# System packages the test suite needs beyond Python: Chromium (sidebar and demo browser tests), a CJK
# font (screenshots of Chinese sheets and sidebars show characters, not boxes) and Node.js (Apps Script tests). Installs what is missing from Debian's packages when run as root.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "missing ${missing[*]}: install them (sudo apt-get install -y ${missing[*]}) or run as root" >&2
  exit 1
fi
log=$(mktemp)
echo "installing ${missing[*]} from Debian's packages" >&2
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  exit 1
fi
