#!/usr/bin/env bash
# Builds the VS Code extension: npm packages from the registry, the TypeScript client, the
# grammar tests, and the packaged scorebook.vsix (Node and npm from Debian's packages).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
    as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error
npm run --silent compile
npm run --silent test:grammar
npm run --silent package
ls -l scorebook.vsix
