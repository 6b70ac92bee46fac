# shellcheck shell=bash
# The Snowflake test server, sourced by .ci/run (which defines log and die) and called from its
# provision() after provision_python:
#
#   source .ci/fakesnow.sh
#   provision_fakesnow
#
# fakesnow's HTTP server needs snowflake-connector-python 4.x, the auditor needs 5.x
# (snowflake-sqlalchemy 2.1 for SQLAlchemy 2.1): the server gets a venv of its own, installed
# exactly from .ci/fakesnow/requirements.txt (every package pinned, --no-deps) into a folder named
# by the file's hash. Nothing is started here: tests/fakesnow.py starts .ci/fakesnow/serve.py with
# that venv's python on a free loopback port, once per test session.

FAKESNOW_REQS=.ci/fakesnow/requirements.txt
provision_fakesnow() {
  local key dir
  key=$(sha256sum "$FAKESNOW_REQS" | cut -c1-12)
  dir=${AUDITOR_FAKESNOW_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/auditor-ci/fakesnow-$key}
  if [ ! -x "$dir/bin/python" ] || [ ! -f "$dir/.complete" ]; then
    log "installing fakesnow ($FAKESNOW_REQS) into $dir"
    rm -rf "$dir.tmp" "$dir"
    python3 -m venv "$dir.tmp" || die "python3 -m venv $dir.tmp failed (fakesnow's server venv)"
    "$dir.tmp/bin/pip" install -q --no-deps -r "$FAKESNOW_REQS" >/dev/null 2>&1 \
      || die "pip install -r $FAKESNOW_REQS failed (fakesnow's server venv)"
    "$dir.tmp/bin/pip" check >/dev/null 2>&1 || die "$FAKESNOW_REQS is not complete (pip check in $dir.tmp)"
    touch "$dir.tmp/.complete"
    mv "$dir.tmp" "$dir"
  fi
  export AUDITOR_FAKESNOW_DIR=$dir
}
