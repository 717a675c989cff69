#!/usr/bin/env bash
# kf init: scaffolding, git, --force, --from a template repository, and
# failures that leave nothing behind.
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
cd "$WORK"

# 1. A new project: three files and a first commit.
run_kf init demo
expect_eq "init: exit code" 0 "$RC"
expect_eq "init: files" ".git .gitignore README.md kf.yaml" "$(ls -A demo | tr '\n' ' ' | sed 's/ $//')"
expect_eq "init: one commit" 1 "$(git -C demo rev-list --count HEAD)"
expect_eq "init: committed files" ".gitignore README.md kf.yaml" "$(git -C demo ls-files | tr '\n' ' ' | sed 's/ $//')"
expect_eq "init: clean work tree" "" "$(git -C demo status --porcelain)"
expect_eq "init: no staging directory left" "demo" "$(ls -A "$WORK" | grep -v '^stderr$' | tr '\n' ' ' | sed 's/ $//')"

# 2. Never overwrite without --force; with it, overwrite but keep the repository.
echo "# mine" >demo/kf.yaml.keep
cp demo/kf.yaml demo/kf.yaml.orig
echo "# edited" >>demo/kf.yaml
run_kf init demo
expect_eq "re-init: exit code" 1 "$RC"
expect_eq "re-init: message" "error: .gitignore, README.md, kf.yaml already exist in $WORK/demo (use --force to overwrite)" "$ERR"
expect_eq "re-init: kf.yaml untouched" "# edited" "$(tail -n 1 demo/kf.yaml)"
run_kf init demo --force
expect_eq "force: exit code" 0 "$RC"
expect_eq "force: kf.yaml rewritten" "" "$(diff demo/kf.yaml demo/kf.yaml.orig)"
expect_eq "force: still one commit" 1 "$(git -C demo rev-list --count HEAD)"
expect_eq "force: other files kept" "# mine" "$(cat demo/kf.yaml.keep)"

# 3. Inside an existing repository: no nested repository.
mkdir -p mono && git -C mono init -q && mkdir -p mono/svc
run_kf init mono/svc --name svc --framework tensorflow
expect_eq "in repo: exit code" 0 "$RC"
[ ! -d mono/svc/.git ] || fail "in repo: a nested .git was created"
grep -q "framework: tensorflow" mono/svc/kf.yaml || fail "in repo: --framework tensorflow not applied"
case "$OUT" in *"Inside the git repository at $WORK/mono"*) ;; *) fail "in repo: output does not name the repository: $OUT" ;; esac

# 4. Bad names and frameworks are usage errors that create nothing.
run_kf init Bad_Dir
expect_eq "bad name: exit code" 2 "$RC"
expect_eq "bad name: message" "error: invalid project name \"Bad_Dir\": use lower-case letters, digits and '-', starting and ending with a letter or digit (the name comes from the directory; pass --name NAME)" "$ERR"
[ ! -e Bad_Dir ] || fail "bad name: directory created"
run_kf init x --framework jax
expect_eq "bad framework: exit code" 2 "$RC"
expect_eq "bad framework: message" 'error: unsupported framework "jax": supported values: "pytorch", "tensorflow"' "$ERR"
[ ! -e x ] || fail "bad framework: directory created"
run_kf init x --framework pytroch
expect_eq "misspelt framework: message" "error: unsupported framework \"pytroch\" (did you mean 'pytorch'?): supported values: \"pytorch\", \"tensorflow\"" "$ERR"
run_kf init x --example intnets
expect_eq "misspelt example: exit code" 2 "$RC"
expect_eq "misspelt example: message" "error: unknown example \"intnets\" (did you mean 'intents'?): the examples are \"intents\", \"fashion-cnn\"" "$ERR"
[ ! -e x ] || fail "misspelt example: directory created"
run_kf init x --example=
expect_eq "empty example: exit code" 2 "$RC"
expect_eq "empty example: message" "error: --example: 1 required TEXT missing" "$(head -n 1 <<<"$ERR")"
[ ! -e x ] || fail "empty example: directory created"

# 5. --from a template repository (file:// URL with #REF); the template's
#    history is not copied and --name rewrites metadata.name.
mkdir tmpl && cp demo/kf.yaml tmpl/ && mkdir tmpl/src && echo "print('hi')" >tmpl/src/train.py
git -C tmpl init -q -b main && git -C tmpl add -A && git -C tmpl commit -qm v1 && git -C tmpl tag v1
echo "changed" >>tmpl/src/train.py && git -C tmpl commit -qam v2
run_kf init fromtmpl --from "file://$WORK/tmpl#v1" --name churn
expect_eq "from: exit code" 0 "$RC"
expect_eq "from: files" ".git kf.yaml src" "$(ls -A fromtmpl | tr '\n' ' ' | sed 's/ $//')"
expect_eq "from: checked out v1" "print('hi')" "$(cat fromtmpl/src/train.py)"
expect_eq "from: renamed" "  name: churn               # required: a DNS label, used to name every object" "$(grep '^  name:' fromtmpl/kf.yaml)"
expect_eq "from: fresh history" 1 "$(git -C fromtmpl rev-list --count HEAD)"
(cd fromtmpl && "$KF" render train >/dev/null) || fail "from: the copied project does not render"
run_kf init frompath --from "$WORK/tmpl"
expect_eq "from a local path: exit code" 0 "$RC"
expect_eq "from a local path: latest commit" "changed" "$(tail -n 1 frompath/src/train.py)"

# 6. Failing templates leave nothing behind.
mkdir notmpl && echo hi >notmpl/README && git -C notmpl init -q && git -C notmpl add -A && git -C notmpl commit -qm x
before=$(ls -A "$WORK" | sort)
run_kf init t1 --from "$WORK/notmpl"
expect_eq "no kf.yaml in template: exit code" 1 "$RC"
expect_eq "no kf.yaml in template: message" "error: template $WORK/notmpl has no kf.yaml at its root" "$(tail -n 1 <<<"$ERR")"
run_kf init t2 --from "$WORK/does-not-exist"
expect_eq "missing template: exit code" 1 "$RC"
expect_eq "missing template: message" "error: cannot clone $WORK/does-not-exist: no such directory" "$ERR"
run_kf init t3 --from "file://$WORK/tmpl#v9"
expect_eq "missing ref: exit code" 1 "$RC"
expect_eq "missing ref: message" "error: cannot check out v9 of file://$WORK/tmpl: no such branch, tag or commit" "$(tail -n 1 <<<"$ERR")"
sed -i 's/workers: 2 /workers: -2 /' tmpl/kf.yaml && git -C tmpl commit -qam broken
run_kf init t4 --from "$WORK/tmpl"
expect_eq "broken template: exit code" 2 "$RC"
expect_eq "broken template: message" "$WORK/tmpl/kf.yaml:17:14: spec.training.workers: must be between 1 and 1024, got -2" "$(tail -n 1 <<<"$ERR")"
git -C tmpl revert --no-edit HEAD >/dev/null
for link in /etc/passwd ../../outside ../src/../..; do # a symbolic link out of the template, directly or through another
  mkdir -p tmpl/data && ln -sfn "$link" tmpl/data/link && ln -sfn .. tmpl/data/up && git -C tmpl add -A && git -C tmpl commit -qm link
  run_kf init t5 --from "$WORK/tmpl"
  expect_eq "link to $link: exit code" 1 "$RC"
  expect_eq "link to $link: message" "error: template $WORK/tmpl: data/link is a symbolic link to $link, outside the template; kf init refuses it" \
    "$(tail -n 1 <<<"$ERR")"
done
ln -sfn up/.. tmpl/data/link && git -C tmpl commit -qam link # through the link "up" (to ..): the template's parent
run_kf init t6 --from "$WORK/tmpl"
expect_eq "link through a link: message" "error: template $WORK/tmpl: data/link is a symbolic link to up/.., outside the template; kf init refuses it" \
  "$(tail -n 1 <<<"$ERR")"
expect_eq "failures left nothing" "$before" "$(ls -A "$WORK" | sort)"
ln -sfn ../src/train.py tmpl/data/link && git -C tmpl commit -qam inside
run_kf init t7 --from "$WORK/tmpl"
expect_eq "a link inside the template: exit code" 0 "$RC"
expect_eq "a link inside the template: kept" "../src/train.py" "$(readlink t7/data/link)"

# 7. The command line itself: a mistyped verb or flag names the one meant and
#    the help to read (exit 2); no verb prints the help, as kubectl does.
run_kf
expect_eq "no verb: exit code" 0 "$RC"
case "$OUT" in *"Usage: kf [OPTIONS] SUBCOMMAND"*) ;; *) fail "no verb: no help on stdout: $OUT" ;; esac
run_kf pipeline
expect_eq "no pipeline verb: exit code" 0 "$RC"
case "$OUT" in *"Usage: kf pipeline [OPTIONS] SUBCOMMAND"*) ;; *) fail "no pipeline verb: no help: $OUT" ;; esac
run_kf frobnicate
expect_eq "unknown verb: exit code" 2 "$RC"
expect_eq "unknown verb: message" "error: unknown verb \"frobnicate\" for 'kf'
Run 'kf --help' for usage." "$ERR"
run_kf statsu
expect_eq "mistyped verb: message" "error: unknown verb \"statsu\" for 'kf' (did you mean 'status'?)
Run 'kf --help' for usage." "$ERR"
run_kf pipeline rn
expect_eq "mistyped pipeline verb: message" "error: unknown verb \"rn\" for 'kf pipeline' (did you mean 'run'?)
Run 'kf pipeline --help' for usage." "$ERR"
run_kf status --wtach
expect_eq "mistyped flag: exit code" 2 "$RC"
expect_eq "mistyped flag: message" "error: unknown flag --wtach for 'kf status' (did you mean '--watch'?)
Run 'kf status --help' for usage." "$ERR"
run_kf pipeline run --no-cahce=true
expect_eq "mistyped flag with a value: message" "error: unknown flag --no-cahce for 'kf pipeline run' (did you mean '--no-cache'?)
Run 'kf pipeline run --help' for usage." "$ERR"
run_kf train -x
expect_eq "unknown short flag: message" "error: unknown flag -x for 'kf train'
Run 'kf train --help' for usage." "$ERR"
run_kf --version
expect_eq "a verb written as a flag: message" "error: unknown flag --version for 'kf' (did you mean 'kf version'?)
Run 'kf --help' for usage." "$ERR"
run_kf --target
expect_eq "a global option without its value: exit code" 2 "$RC"
expect_eq "a global option without its value: message" "error: --target: 1 required NAME missing
Run 'kf --help' for usage." "$ERR"
run_kf logs
expect_eq "a missing argument: message" "error: run is required
Run 'kf logs --help' for usage." "$ERR"
run_kf version -o xml
expect_eq "bad -o: exit code" 2 "$RC"
run_kf status -o yml
expect_eq "a mistyped choice: message" "error: --output: \"yml\" is not one of table, json, yaml (did you mean 'yaml'?)
Run 'kf status --help' for usage." "$ERR"
run_kf --help
expect_eq "--help: exit code" 0 "$RC"
run_kf version
expect_eq "version: exit code" 0 "$RC"
case "$OUT" in "kf 0."*) ;; *) fail "version: $OUT" ;; esac
run_kf -C demo render train -o table
expect_eq "-C: exit code" 0 "$RC"
finish
