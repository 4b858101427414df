#!/usr/bin/env bash
# What the test suite needs beyond Node, installed when missing: Java 17+ for
# DynamoDB Local and Debian's Chromium for the portal's browser tests.
# `npm test` runs this first (its `pretest`), so the README's test command
# works on a fresh machine that has only Node and apt. As root it installs
# through apt-get (one `apt-get update` for both); otherwise through
# `sudo -n` when that needs no password; otherwise it stops at once with the
# exact command to run. Set CHROMIUM_PATH to use another Chromium.
set -euo pipefail

missing=()

java_major() {
  # `java -version` prints e.g. 'openjdk version "17.0.15" 2025-04-15' on stderr.
  java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}

if ! command -v java >/dev/null 2>&1; then
  missing+=(openjdk-17-jre-headless)
elif [ "$(java_major)" -lt 17 ] 2>/dev/null; then
  echo "test-tools: java $(java_major) is on PATH; DynamoDB Local needs 17 or newer" >&2
  missing+=(openjdk-17-jre-headless)
fi

chromium_found() {
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    [ -x "$CHROMIUM_PATH" ]
  else
    [ -x /usr/bin/chromium ]
  fi
}

if ! chromium_found; then
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    echo "test-tools: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable; unset it to use Debian's /usr/bin/chromium" >&2
    exit 1
  fi
  # fonts-dejavu-core keeps the portal screenshots readable.
  missing+=(chromium fonts-dejavu-core)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

command="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  run=(bash -c "$command")
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo bash -c "$command")
else
  echo "test-tools: the tests need ${missing[*]}; install them once with:" >&2
  echo "  sudo bash -c '$command'" >&2
  exit 1
fi

echo "test-tools: installing ${missing[*]} (apt-get)" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "test-tools: no apt-get on this machine; install ${missing[*]} with your package manager (or set CHROMIUM_PATH)" >&2
  exit 1
fi
"${run[@]}"
