#!/usr/bin/env bash
# System packages the end-to-end tests need, from Debian's repositories: PostgreSQL (Airflow's
# metadata database), headless Chromium and its chromedriver (the browser test). Installs only
# what is missing, so a second run costs nothing. Needs root (CI and the dev machines run as root);
# without root and with something missing it says what to install and exits non-zero.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "system-deps: missing ${need[*]}; install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
