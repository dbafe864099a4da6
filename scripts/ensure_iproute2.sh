#!/usr/bin/env bash
# Installs Debian's iproute2 (`ip netns`, veth) for the multi-host test when it is missing.
set -euo pipefail
if command -v ip >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "The multi-host test needs root and iproute2: run 'sudo apt-get install iproute2'." >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq iproute2 >/dev/null
