# shellcheck shell=bash
# Provisioning of the SFTP, FTP and Azure Blob test servers, sourced by .ci/run (which defines
# log, die, have and apt_install) and called from its provision():
#
#   source .ci/file_stores.sh
#   provision_openssh
#   provision_azurite      # after provision_node
#
# Nothing is started here: the test fixtures start each server on a free loopback port
# (tests/file_servers.py: sshd -D and pyftpdlib; tests/azurite.py: azurite-blob).
# pyftpdlib and pyOpenSSL come with `pip install -e '.[test]'` (the demo extra).

# ---------------------------------------------------------------- OpenSSH sshd (Debian's), for kind: sftp
provision_openssh() {
  [ -x /usr/sbin/sshd ] || apt_install openssh-server
  have ssh-keygen || apt_install openssh-client
  have openssl || apt_install openssl  # the FTPS tests' self-signed certificate
  have useradd && have userdel && have chpasswd || apt_install passwd
  mkdir -p /run/sshd  # sshd's privilege-separation folder (no systemd unit makes it here)
  # the fixture creates its system users itself (auditor-sftp-t<pid>, auditor-sftp-a<pid>: one
  # pair per test process, removed at its exit) with a new password per process: the sshd it
  # starts runs as root and useradd/userdel need root, so CI must run as root
  [ "$(id -u)" = 0 ] || die "the SFTP tests start sshd and create a test user: run as root"
}

# ---------------------------------------------------------------- Azurite (npm), for kind: azure_blob
AZURITE_LOCK=.ci/azurite/package-lock.json
provision_azurite() {
  # a pinned install from the committed lock file, into a folder named by its hash; the tests
  # find it through AUDITOR_AZURITE_DIR; nothing is fetched while the tests run
  local key dir
  key=$(sha256sum "$AZURITE_LOCK" | cut -c1-12)
  dir=${AUDITOR_AZURITE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/auditor-ci/azurite-$key}
  if [ ! -x "$dir/node_modules/.bin/azurite-blob" ]; then
    log "installing azurite ($AZURITE_LOCK) into $dir"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    cp .ci/azurite/package.json "$AZURITE_LOCK" "$dir.tmp/"
    (cd "$dir.tmp" && npm ci --silent --no-audit --no-fund >/dev/null 2>&1) || die "npm ci of azurite failed ($AZURITE_LOCK)"
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  export AUDITOR_AZURITE_DIR=$dir
}
