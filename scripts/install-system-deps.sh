#!/usr/bin/env bash
# Installs the Debian packages Callsign needs at run and test time: slapd and ldap-utils (lab
# directory), kamailio with its SQLite modules (lab SIP server), sip-tester (SIPp) and Samba as
# an AD domain controller (samba-ad-dc pulls samba-dsdb-modules and winbind in).
#
#   scripts/install-system-deps.sh           install what is missing (root with apt-get)
#   scripts/install-system-deps.sh --check   only report; exit 1 when something is missing
#
# CALLSIGN_DEPS_PATH overrides where binaries are looked for, CALLSIGN_DEPS_MODULE_DIRS (colon
# separated) where Kamailio modules are; both exist so the check can be tested.
set -euo pipefail

check_only=0
if [[ "${1:-}" == "--check" ]]; then
  check_only=1
fi

# package:file. A file starting with @ is a Kamailio module, one starting with / an absolute
# path (data files such as Samba's provisioning templates), the rest are programs.
deps=(
  'slapd:slapd'
  'ldap-utils:ldapsearch'
  'kamailio:kamailio'
  'kamailio-sqlite-modules:@db_sqlite.so'
  'sip-tester:sipp'
  'samba-ad-dc:samba'
  'samba-common-bin:samba-tool'
  'samba-ad-provision:/usr/share/samba/setup/provision.ldif'
  'winbind:winbindd'
)
search_path="${CALLSIGN_DEPS_PATH:-${PATH}:/usr/sbin:/sbin}"

# Kamailio's module folder only exists once kamailio is installed, so it is looked up at each
# check rather than once at the start (a glob taken before the install stays unexpanded).
module_dirs_now() {
  if [[ -n "${CALLSIGN_DEPS_MODULE_DIRS:-}" ]]; then
    echo "${CALLSIGN_DEPS_MODULE_DIRS}"
    return
  fi
  printf '%s:' /usr/lib/*/kamailio/modules /usr/lib/kamailio/modules
}

has_file() {
  local name="$1" dirs dir
  if [[ "${name}" == /* ]]; then
    [[ -f "${name}" ]]
    return
  fi
  if [[ "${name}" == @* ]]; then
    IFS=: read -ra dirs <<< "$(module_dirs_now)"
    name="${name#@}"
  else
    IFS=: read -ra dirs <<< "${search_path}"
  fi
  for dir in "${dirs[@]}"; do
    if [[ -n "${dir}" && -f "${dir}/${name}" ]]; then
      return 0
    fi
  done
  return 1
}

find_missing() {
  missing=()
  local dep
  for dep in "${deps[@]}"; do
    if ! has_file "${dep#*:}"; then
      missing+=("${dep%%:*}")
    fi
  done
}

find_missing
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "System packages present: ${deps[*]%%:*}"
  exit 0
fi

if [[ ${check_only} -eq 0 && "$(id -u)" -eq 0 ]] && command -v apt-get > /dev/null; then
  echo "Installing: ${missing[*]}"
  # Debian's slapd would otherwise create a database of its own; the lab builds its own.
  echo 'slapd slapd/no_configuration boolean true' | debconf-set-selections
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  find_missing
  if [[ ${#missing[@]} -eq 0 ]]; then
    echo "System packages installed"
    exit 0
  fi
  echo "Still missing after apt-get install: ${missing[*]}" >&2
  exit 1
fi

echo "Missing Debian packages: ${missing[*]}" >&2
echo "Install them as root with: scripts/install-system-deps.sh" >&2
echo "or: echo 'slapd slapd/no_configuration boolean true' | sudo debconf-set-selections" >&2
echo "    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}" >&2
exit 1
