#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when it is missing (never a downloaded build),
# and a Chinese font, without which the screenshots show boxes instead of characters.
set -euo pipefail
if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "Chromium or a Chinese font is missing: run 'sudo apt-get install chromium fonts-wqy-microhei' for the browser tests." >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
