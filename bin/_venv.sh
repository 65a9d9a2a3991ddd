# Sourced by bin/demo and bin/test: a virtualenv in .venv with the given requirements.
ensure_venv() {
  local requirements="$1"
  local python="${PYTHON:-python3.11}"
  command -v "$python" >/dev/null 2>&1 || python=python3
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
  fi
  # shellcheck disable=SC1091
  source .venv/bin/activate
  local stamp=".venv/.installed-$(cat "$requirements" requirements*.txt 2>/dev/null | sha1sum | cut -c1-12)"
  if [ ! -f "$stamp" ]; then
    python -m pip install --quiet --upgrade pip
    python -m pip install --quiet -r "$requirements"
    touch "$stamp"
  fi
}
