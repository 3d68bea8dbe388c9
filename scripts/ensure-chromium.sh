#!/bin/sh
# The end-to-end tests drive Debian's Chromium (never a browser downloaded by Playwright).
# Install it when it is missing and we may: as root through apt-get, otherwise via sudo.
set -e
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "Chromium is not installed and this user cannot install it; browser tests will be skipped." >&2
  echo "Install it with: apt-get install chromium chromium-driver" >&2
  exit 0
fi
echo "Installing Debian's chromium and chromium-driver for the browser tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
