# Sourced by the scripts that build virtual environments: pick_python CANDIDATE... prints the first
# interpreter that runs.
pick_python() {
  for candidate in "$@"; do
    # pyenv shims answer `command -v` for versions they cannot run, so ask the interpreter itself.
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "import sys" >/dev/null 2>&1; then
      command -v "$candidate"
      return
    fi
  done
  echo "no python3 found" >&2
  exit 1
}
