# Sourced by the run and test scripts: makes .venv from uv.lock (exact pins) with uv.
# uv itself is installed from PyPI into .cache/uv, so nothing but python3 (3.11+) is needed.
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
UV_VERSION=0.13.9
UV_HOME="$ROOT/.cache/uv"
export UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT="$ROOT/.venv"

python_env() {
  local groups=("$@")
  if [[ ! -x $UV_HOME/bin/uv ]] || [[ $("$UV_HOME/bin/uv" --version | cut -d' ' -f2) != "$UV_VERSION" ]]; then
    echo "installing uv $UV_VERSION into $UV_HOME" >&2
    python3 -m venv "$UV_HOME"
    "$UV_HOME/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
  fi
  (cd "$ROOT" && "$UV_HOME/bin/uv" sync --frozen --quiet --python python3 "${groups[@]}")
}
