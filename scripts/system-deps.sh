#!/usr/bin/env bash
# Installs the system packages the browser tests need (Debian's chromium and CJK fonts) and the
# briefing's rendering check (libreoffice-writer converts the .docx to PDF, poppler-utils to PNG),
# or, when not root, says exactly what to install.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
command -v libreoffice >/dev/null 2>&1 || need+=(libreoffice-writer)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${need[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi
echo "The browser tests and the briefing rendering need these Debian packages: ${need[*]}" >&2
echo "Install them with:  sudo apt-get install -y ${need[*]}" >&2
echo "(or run with SILIAN_SKIP_BROWSER=1 to skip the browser tests)" >&2
[ "${SILIAN_SKIP_BROWSER:-0}" = "1" ] && exit 0
exit 1
