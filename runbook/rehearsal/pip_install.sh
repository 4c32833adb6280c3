#!/usr/bin/env bash
# Rehearsal handler for `python3 -m pip install PKG...`.
#
# What it models: an install whose packages are all present already. It never
# touches the network: each requirement is checked by importing its module
# with the rehearsal's Python, and versions are not compared.
#
# Interface: pip_install.sh -m pip install [OPTIONS] PKG...
#   RB_REHEARSAL_PYTHON  the interpreter the rehearsal's Python steps use.
#   For each PKG: "Requirement already satisfied: PKG" on stdout, or a message
#   on stderr when its module cannot be imported; then exit 1 if any is missing.
#   -r FILE is read for more requirements; other options are skipped.
set -euo pipefail

if [[ $# -lt 3 || $1 != -m || $2 != pip || $3 != install ]]; then
    echo "rehearsal: pip_install.sh handles 'python3 -m pip install' only" >&2
    exit 2
fi
shift 3

python=${RB_REHEARSAL_PYTHON:-}
if [[ -z $python ]]; then
    echo "rehearsal: RB_REHEARSAL_PYTHON is not set" >&2
    exit 2
fi

# Distribution name (as written) -> module name.
module_for() {
    local name
    name=$(tr '[:upper:]_.' '[:lower:]--' <<<"$1")
    case $name in
        pyyaml) echo yaml ;;
        python-dotenv) echo dotenv ;;
        python-dateutil) echo dateutil ;;
        beautifulsoup4) echo bs4 ;;
        scikit-learn) echo sklearn ;;
        pillow) echo PIL ;;
        *) echo "${name//-/_}" ;;
    esac
}

requirements=()
read_requirements_file() {
    local line
    if [[ ! -r $1 ]]; then
        echo "ERROR: Could not open requirements file: $1" >&2
        exit 1
    fi
    while IFS= read -r line || [[ -n $line ]]; do
        line=${line%%#*}
        line=${line//[[:space:]]/}
        [[ -z $line || $line == -* ]] && continue
        requirements+=("$line")
    done <"$1"
}

while [[ $# -gt 0 ]]; do
    case $1 in
        -r | --requirement)
            [[ $# -ge 2 ]] || { echo "ERROR: $1 option requires 1 argument" >&2; exit 2; }
            read_requirements_file "$2"; shift ;;
        --requirement=*) read_requirements_file "${1#*=}" ;;
        # Options that take their value as the next argument.
        -c | --constraint | -i | --index-url | --extra-index-url | -f | --find-links | \
        -t | --target | --prefix | --root | --src | --platform | --python-version | \
        --implementation | --abi | --upgrade-strategy | -C | --config-settings | \
        --cache-dir | --log | --proxy | --retries | --timeout | --trusted-host | \
        --cert | --client-cert | --exists-action | --progress-bar | --report | -e | --editable)
            [[ $# -ge 2 ]] || { echo "ERROR: $1 option requires 1 argument" >&2; exit 2; }
            shift ;;
        -*) ;;  # flags such as --upgrade, --user, -q
        *) requirements+=("$1") ;;
    esac
    shift
done

if [[ ${#requirements[@]} -eq 0 ]]; then
    echo 'ERROR: You must give at least one requirement to install (see "pip help install")' >&2
    exit 1
fi

missing=0
for requirement in "${requirements[@]}"; do
    # Strip environment markers, a direct URL, extras and version specifiers.
    name=${requirement%%;*}
    name=${name%%@*}
    name=${name%%\[*}
    name=${name%%[<>=!~ ]*}
    module=$(module_for "$name")
    if [[ $module =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] &&
        "$python" -c 'import importlib, sys; importlib.import_module(sys.argv[1])' "$module" \
            >/dev/null 2>&1 </dev/null; then
        echo "Requirement already satisfied: $requirement"
    else
        echo "rehearsal: $requirement is not installed in the rehearsal's Python (RB_REHEARSAL_PYTHON); install runbook/rehearsal/requirements.txt" >&2
        missing=1
    fi
done
exit "$missing"
