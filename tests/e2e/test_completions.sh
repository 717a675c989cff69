#!/usr/bin/env bash
# Shell completions and man pages are generated from kf's CLI definition
# (cli/docgen*.cpp). The checked-in copies must match a fresh run of
# kf-docgen, `kf completion SHELL` must print them, and the bash script must
# complete verbs, options and values, with and without bash-completion.
set -euo pipefail
: "${KF:?set KF to the kf binary}" "${KF_DOCGEN:?set KF_DOCGEN to the kf-docgen binary}"
: "${KF_SOURCE_DIR:?set KF_SOURCE_DIR to the source tree}"

source "$(dirname "$0")/lib.sh" # fail, failures, WORK (removed at exit)
tmp=$WORK
script=$KF_SOURCE_DIR/completions/kf.bash

# 1. The checked-in files are what kf-docgen writes now (man/extra holds hand-written parts).
"$KF_DOCGEN" "$tmp/gen" "$KF_SOURCE_DIR"
for dir in completions man; do
  if ! diff -r -x extra "$KF_SOURCE_DIR/$dir" "$tmp/gen/$dir" >"$tmp/diff" 2>&1; then
    cat "$tmp/diff" >&2
    fail "$dir/ is stale; run: cmake --build --preset dev --target docs"
  fi
done

# 2. `kf completion SHELL` prints the same scripts.
for pair in bash:kf.bash zsh:_kf fish:kf.fish; do
  shell=${pair%%:*} file=${pair#*:}
  if ! "$KF" completion "$shell" | cmp -s - "$KF_SOURCE_DIR/completions/$file"; then
    fail "kf completion $shell differs from completions/$file"
  fi
done
if "$KF" completion tcsh >/dev/null 2>&1; then fail "kf completion tcsh: expected a usage error"; fi

# 3. bash: what _kf offers at the end of LINE, one word a line, sorted.
# MODE is "plain" (no bash-completion; under set -u) or "with" (bash-completion loaded).
complete_bash() { # MODE LINE
  bash --norc --noprofile -c '
    if [[ $1 == with ]]; then source /usr/share/bash-completion/bash_completion; else set -u; fi
    source "$2"
    COMP_LINE=$3
    COMP_POINT=${#3}
    # Split the line as readline does: on blanks, and "=" is a word of its own.
    COMP_WORDS=()
    read -ra raw <<<"$3"
    for w in "${raw[@]}"; do
      if [[ $w == -*=* ]]; then
        COMP_WORDS+=("${w%%=*}" "=")
        [[ -n ${w#*=} ]] && COMP_WORDS+=("${w#*=}")
      else
        COMP_WORDS+=("$w")
      fi
    done
    [[ $3 == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    _kf
    if ((${#COMPREPLY[@]})); then printf "%s\n" "${COMPREPLY[@]}"; fi
  ' kf-test "$1" "$script" "$2" | sort -u
}

# expect MODE LINE WORD...: LINE completes to exactly WORD...
expect() {
  local mode=$1 line=$2
  shift 2
  local got want
  got=$(complete_bash "$mode" "$line" | tr '\n' ' ')
  want=""
  if (($#)); then want=$(printf '%s\n' "$@" | sort -u | tr '\n' ' '); fi
  [[ $got == "$want" ]] || fail "bash ($mode): '$line<TAB>' offered [${got% }], want [${want% }]"
}

# expect_has MODE LINE WORD...: LINE's completions include every WORD.
expect_has() {
  local mode=$1 line=$2 got word
  shift 2
  got=$(complete_bash "$mode" "$line")
  for word in "$@"; do
    grep -qxF -- "$word" <<<"$got" || fail "bash ($mode): '$line<TAB>' did not offer $word (offered: $(tr '\n' ' ' <<<"$got"))"
  done
}

modes=(plain)
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
  modes+=(with)
else
  echo "skip: bash-completion is not installed; testing plain bash only"
fi
mkdir -p "$tmp/proj/data-dir" && touch "$tmp/proj/data.yaml"
for mode in "${modes[@]}"; do
  expect_has "$mode" "kf " init render validate completion version
  expect "$mode" "kf render " train tune serve pipeline notebook all
  expect "$mode" "kf render t" train tune
  expect "$mode" "kf -o " table json yaml
  expect "$mode" "kf render -o y" yaml
  expect "$mode" "kf --output=j" json
  expect "$mode" "kf init --fr" --framework --from
  expect "$mode" "kf init --framework " pytorch tensorflow
  expect "$mode" "kf completion z" zsh
  expect "$mode" "kf completion bash " # one shell only
  expect "$mode" "kf -v --target local render " train tune serve pipeline notebook all
  expect_has "$mode" "kf render --" --help --values --set --output --no-color
  expect_has "$mode" "kf --help" --help --help-all
  expect "$mode" "kf version --he" --help
  expect "$mode" "kf -C $tmp/proj/data" "$tmp/proj/data-dir"
  expect "$mode" "kf render -f $tmp/proj/data" "$tmp/proj/data-dir" "$tmp/proj/data.yaml"
done

# 4. kf __complete: cobra's protocol. Candidates one a line (value<TAB>help),
#    then ":directive" (1 error, 4 no file names, 16 directories, 0 file names).
proj="$tmp/proj/tf"
cp -r "$KF_SOURCE_DIR/tests/testdata/projects/tf-ps" "$proj"
# Two runs as the local target keeps them: .kf/runs/<run>/object.json.
for run in tf-ps-train-1 tf-ps-train-2; do
  mkdir -p "$proj/.kf/runs/$run"
  (cd "$proj" && "$KF" render train -o json) >"$proj/.kf/runs/$run/object.json"
done
cat >"$tmp/kubeconfig" <<'KC'
apiVersion: v1
kind: Config
current-context: dev
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts:
  - {name: dev, context: {cluster: c, user: u}}
  - {name: prod-admin, context: {cluster: c, user: u}}
KC
export KUBECONFIG="$tmp/kubeconfig"
complete_kf() { (cd "$proj" && "$KF" __complete "$@" 2>/dev/null | cut -f1 | tr '\n' ' '); }
expect_complete() { # WANT ARGS...: the candidates and directive, space-separated
  local want=$1 got
  shift
  got=$(complete_kf "$@")
  [[ $got == "$want " ]] || fail "kf __complete $*: got [${got% }], want [$want]"
}
verbs=$(cd "$proj" && "$KF" __complete "")
case "$verbs" in *$'train\tTrain the model'*) ;; *) fail "kf __complete '': no 'train<TAB>help' line" ;; esac
[[ $verbs == *$'\n:4' ]] || fail "kf __complete '': directive is not 4"
expect_complete "tf-ps-train-2 tf-ps-train-1 @latest :4" status ""
expect_complete "tf-ps-train-2 tf-ps-train-1 @latest :4" logs -f ""
expect_complete "tf-ps-train-1 :4" delete tf-ps-train-2 tf-ps-train-1
expect_complete "tf-ps-train-2 tf-ps-train-1 @latest :4" serve ""
expect_complete "tf-ps-train-2 tf-ps-train-1 @latest :4" predict ""
expect_complete "local prod dev prod-admin :4" --target ""
expect_complete "prod prod-admin :4" status --target pr
expect_complete "--target=prod --target=prod-admin :4" status --target=pr
expect_complete "dev prod-admin :4" apply --context ""
expect_complete "dev prod-admin :4" delete --context ""
expect_complete "nightly :4" render pipeline ""
expect_complete "nightly :4" pipeline run ""
expect_complete "table json yaml :4" render -o ""
expect_complete "--output=json :4" render --output=j
expect_complete "train tune :4" render t
expect_complete ":0" render -f ""
expect_complete ":16" -C ""
expect_complete "--follow :4" logs --fol
# Outside a project there are no runs: the error directive, and nothing else.
got=$(cd "$tmp" && "$KF" __complete status "" 2>"$tmp/complete.err")
expect_eq "no project: error directive" ":1" "$got"
expect_eq "no project: cobra's trailer" "Completion ended with directive: ShellCompDirectiveError" "$(cat "$tmp/complete.err")"

# The shells ask kf __complete for those values.
export PATH="$(dirname "$KF"):$PATH"
cd "$proj"
for mode in "${modes[@]}"; do
  expect "$mode" "kf status " tf-ps-train-2 tf-ps-train-1 @latest
  expect "$mode" "kf logs tf-ps-train-" tf-ps-train-2 tf-ps-train-1
  expect "$mode" "kf --target " local prod dev prod-admin
  expect "$mode" "kf status --target=pro" prod prod-admin
  expect "$mode" "kf render pipeline " nightly
done
if command -v zsh >/dev/null 2>&1; then
  # _kf_dynamic alone, with compadd printing what it was given.
  got=$(zsh -f -c 'source <(sed -n "/^_kf_dynamic()/,/^}/p" "$1"); compadd() { print -l -- ${(P)2}; }; LBUFFER="kf status "; _kf_dynamic' \
    kf-test "$KF_SOURCE_DIR/completions/_kf" | tr '\n' ' ')
  expect_eq "zsh: kf status <TAB>" "tf-ps-train-2 tf-ps-train-1 @latest " "$got"
  got=$(zsh -f -c 'source <(sed -n "/^_kf_dynamic()/,/^}/p" "$1"); compadd() { print -l -- ${(P)2}; }; LBUFFER="kf --target=pro"; _kf_dynamic' \
    kf-test "$KF_SOURCE_DIR/completions/_kf" | tr '\n' ' ')
  expect_eq "zsh: kf --target=pro<TAB>" "prod prod-admin " "$got"
fi
if command -v fish >/dev/null 2>&1; then
  got=$(fish --no-config -c 'source $argv[1]; complete -C "kf status "' "$KF_SOURCE_DIR/completions/kf.fish" | cut -f1 | sort | tr '\n' ' ')
  expect_eq "fish: kf status <TAB>" "@latest tf-ps-train-1 tf-ps-train-2 " "$got"
fi
cd "$tmp"

# 5. zsh and fish: the scripts parse (and fish completes), where those shells are installed.
if command -v zsh >/dev/null 2>&1; then
  zsh -n "$KF_SOURCE_DIR/completions/_kf" || fail "zsh -n completions/_kf"
else
  echo "skip: zsh is not installed"
fi
if command -v fish >/dev/null 2>&1; then
  fish_file=$KF_SOURCE_DIR/completions/kf.fish
  fish -n "$fish_file" || fail "fish -n completions/kf.fish"
  # shellcheck disable=SC2016 # $argv is fish's, expanded by fish
  complete_fish() { fish --no-config -c 'source $argv[1]; complete -C $argv[2]' "$fish_file" "$1" | cut -f1; }
  for check in "kf rend|render" "kf render |pipeline" "kf -o |yaml" "kf init --framework |pytorch" \
    "kf completion |fish" "kf validate --sch|--schemas"; do
    line=${check%|*} word=${check#*|}
    complete_fish "$line" | grep -qxF -- "$word" || fail "fish: '$line<TAB>' did not offer $word"
  done
else
  echo "skip: fish is not installed"
fi

if ((failures > 0)); then
  echo "$failures check(s) failed" >&2
  exit 1
fi
echo "completions: all checks passed"
