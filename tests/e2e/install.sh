#!/usr/bin/env bash
# install.sh — install the end-to-end test's npm packages (playwright-core
# only, from package-lock.json) with `npm ci`, unless the locked version is
# already there. Never downloads a browser: the test drives Debian's
# /usr/bin/chromium. Runs outside the network namespace (it needs the registry).
set -eu
cd "$(dirname "$0")"
want=$(node -p "require('./package-lock.json').packages['node_modules/playwright-core'].version")
have=$(node -p "require('./node_modules/playwright-core/package.json').version" 2>/dev/null || true)
[ "$want" = "$have" ] && exit 0
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null
