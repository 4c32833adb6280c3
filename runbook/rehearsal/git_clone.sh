#!/usr/bin/env bash
# Rehearsal handler for `git clone`.
#
# What it models: a clone, without the network. It creates the destination
# directory with a README.md that says which repository it stands in for.
#
# Interface: git_clone.sh clone [OPTIONS] URL [DIR]
#   DIR defaults to the last part of URL without a trailing ".git", relative
#   to the current directory. Options such as --depth 1 or --branch main are
#   accepted and ignored. Like git, it prints "Cloning into 'DIR'..." on stderr
#   (not with -q/--quiet) and exits 128 when DIR exists and is not empty.
set -euo pipefail

if [[ $# -lt 1 || $1 != clone ]]; then
    echo "rehearsal: git_clone.sh handles 'git clone' only" >&2
    exit 2
fi
shift

quiet=false
positional=()
while [[ $# -gt 0 ]]; do
    case $1 in
        --) shift; positional+=("$@"); break ;;
        -q | --quiet) quiet=true ;;
        # Options that take their value as the next argument.
        --depth | -b | --branch | -o | --origin | -c | --config | --reference | \
        --reference-if-able | --separate-git-dir | -u | --upload-pack | --template | \
        -j | --jobs | --shallow-since | --shallow-exclude | --filter | --server-option | \
        --bundle-uri | --ref-format)
            if [[ $# -lt 2 ]]; then
                echo "error: option \`${1#-}' requires a value" >&2
                exit 129
            fi
            shift ;;
        -*) ;;  # any other option (--depth=1, --single-branch, ...) is ignored
        *) positional+=("$1") ;;
    esac
    shift
done

if [[ ${#positional[@]} -lt 1 || ${#positional[@]} -gt 2 ]]; then
    echo "fatal: You must specify a repository to clone." >&2
    exit 129
fi
url=${positional[0]}

if [[ ${#positional[@]} -eq 2 ]]; then
    dir=${positional[1]}
else
    # Same rule as git: last path component, without "/" or ".git" at the end.
    dir=${url%/}
    dir=${dir%/.git}
    dir=${dir%.git}
    dir=${dir##*/}
    dir=${dir##*:}
fi
if [[ -z $dir ]]; then
    echo "fatal: cannot work out a directory name from '$url'; give one explicitly" >&2
    exit 128
fi

if [[ -e $dir ]]; then
    if [[ ! -d $dir ]] || [[ -n $(ls -A -- "$dir") ]]; then
        echo "fatal: destination path '$dir' already exists and is not an empty directory." >&2
        exit 128
    fi
fi

$quiet || echo "Cloning into '$dir'..." >&2
mkdir -p -- "$dir"
cat > "$dir/README.md" <<EOF
# Rehearsal stand-in

This directory stands in for a clone of $url.
It was made during a runbook rehearsal, which does not use the network, so it
holds no files from that repository.
EOF
