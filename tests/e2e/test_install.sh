#!/usr/bin/env bash
# kf installed as a user gets it: `cmake --install` into a prefix and into a
# DESTDIR, then the installed kf, the kubectl-kf plugin link (through the
# real kubectl), the man pages and the completion scripts are used from
# there; `cpack -G DEB` builds the .deb, its Depends come from
# dpkg-shlibdeps and are installed here, lintian reports no error, and
# `dpkg -i` installs it (into a dpkg root of its own, so the machine is not
# changed). Exit 77 (skipped) when dpkg-deb, dpkg-shlibdeps or lintian are
# missing for the package part (scripts/install-deps.sh installs them).
source "$(dirname "$0")/lib.sh"
: "${KF_BUILD_DIR:?set KF_BUILD_DIR to the build tree}"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export HOME="$WORK/home"
mkdir -p "$HOME"

# 1. cmake --install into a prefix.
prefix="$WORK/prefix"
cmake --install "$KF_BUILD_DIR" --prefix "$prefix" --strip >"$WORK/install.log" 2>&1 ||
  { cat "$WORK/install.log" >&2; fail "cmake --install failed"; finish; }
for f in bin/kf bin/kf-trainer bin/kf-server bin/kf-tfevent-collector bin/kubectl-kf share/man/man1/kf.1 share/man/man1/kf-train.1 \
  share/bash-completion/completions/kf share/zsh/vendor-completions/_kf share/fish/vendor_completions.d/kf.fish \
  share/doc/kf/copyright share/doc/kf/changelog.gz; do
  [ -e "$prefix/$f" ] || fail "cmake --install: $f is missing"
done
expect_eq "kubectl-kf is a link to kf" "kf" "$(readlink "$prefix/bin/kubectl-kf")"
version=$("$KF" version)
expect_eq "installed kf version" "$version" "$("$prefix/bin/kf" version)"

# The installed kf works on a project, and finds kf-trainer beside it.
(cd "$WORK" && "$prefix/bin/kf" init demo >/dev/null)
(cd "$WORK/demo" && "$prefix/bin/kf" validate >/dev/null 2>&1) || fail "installed kf validate failed"
# On a machine without a GPU its replicas run the CUDA-free kf-trainer-cpu,
# which a build with CUDA installs beside kf-trainer.
if [ -x "$prefix/bin/kf-trainer-cpu" ] && [ -z "$(ls /proc/driver/nvidia/gpus 2>/dev/null)" ]; then
  (cd "$WORK/demo" && env -u KF_TRAINER -u KF_TRAINER_CPU -u CUDA_VISIBLE_DEVICES "$prefix/bin/kf" train \
    --set training.workers=1 --set training.hyperparameters.epochs=1 --set training.hyperparameters.train-limit=256 \
    >"$WORK/train.log" 2>&1) || { cat "$WORK/train.log" >&2; fail "installed kf train failed"; }
  expect_eq "no GPU: the replica ran kf-trainer-cpu" "no GPU (kf-trainer-cpu: the build without CUDA, for machines without a GPU)" \
    "$(cd "$WORK/demo" && "$prefix/bin/kf" logs @latest | grep -o 'no GPU ([^;]*')"
else
  echo "skip: kf-trainer-cpu not installed (a build without CUDA) or this machine has a GPU; the trainer's choice not tried"
fi

# 2. kubectl kf: kubectl finds the plugin on PATH and passes its arguments through.
if command -v kubectl >/dev/null; then
  expect_eq "kubectl kf version" "$version" "$(PATH="$prefix/bin:$PATH" kubectl kf version)"
  cd "$WORK/demo"
  expect_eq "kubectl kf status = kf status" "$("$KF" status -o json 2>&1)" "$(PATH="$prefix/bin:$PATH" kubectl kf status -o json 2>&1)"
  help=$(PATH="$prefix/bin:$PATH" kubectl kf --help)
  case "$help" in *"Usage: kubectl kf "*) ;; *) fail "kubectl kf --help does not name 'kubectl kf': $(head -3 <<<"$help")" ;; esac
  set +e
  err=$(PATH="$prefix/bin:$PATH" kubectl kf statuss 2>&1)
  rc=$?
  set -e
  expect_eq "kubectl kf: a usage error's exit code" 2 "$rc"
  case "$err" in *"Run 'kubectl kf --help' for usage."*) ;; *) fail "kubectl kf usage error: $err" ;; esac
  cd "$WORK"
else
  echo "skip: kubectl is not installed; kubectl kf not tried"
fi

# 3. The man pages read with man, the completion scripts load.
if command -v man >/dev/null; then
  page=$(MANWIDTH=80 man -l "$prefix/share/man/man1/kf.1" 2>/dev/null | col -b)
  case "$page" in *"kf - "*) ;; *) fail "man -l kf.1: no NAME section" ;; esac
fi
out=$(bash -c 'source "$1" && complete -p kf' kf-test "$prefix/share/bash-completion/completions/kf" 2>&1) ||
  fail "bash: sourcing the installed completion failed: $out"
expect_eq "bash: complete -p kf" "complete -F _kf kf" "$out"
if command -v zsh >/dev/null; then zsh -n "$prefix/share/zsh/vendor-completions/_kf" || fail "zsh -n _kf"; fi
if command -v fish >/dev/null; then fish -n "$prefix/share/fish/vendor_completions.d/kf.fish" || fail "fish -n kf.fish"; fi

# 4. DESTDIR staging, as packagers do: nothing outside it, the link still relative.
DESTDIR="$WORK/dest" cmake --install "$KF_BUILD_DIR" --prefix /usr --strip >"$WORK/install.log" 2>&1 ||
  { cat "$WORK/install.log" >&2; fail "cmake --install with DESTDIR failed"; }
expect_eq "DESTDIR: kf" "$version" "$("$WORK/dest/usr/bin/kf" version)"
expect_eq "DESTDIR: kubectl-kf link" "kf" "$(readlink "$WORK/dest/usr/bin/kubectl-kf")"

# 5. The .deb.
for tool in dpkg-deb dpkg-shlibdeps lintian cpack; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/install-deps.sh installs it)"; finish; exit 77; }
done
cpack -G DEB -B "$WORK/pkg" --config "$KF_BUILD_DIR/CPackConfig.cmake" >"$WORK/cpack.log" 2>&1 ||
  { cat "$WORK/cpack.log" >&2; fail "cpack -G DEB failed"; finish; }
deb=$(ls "$WORK"/pkg/kf_*.deb)
expect_eq "package name" "kf" "$(dpkg-deb -f "$deb" Package)"
expect_eq "package version" "$(sed 's/^kf //' <<<"$version" | cut -d' ' -f1)" "$(dpkg-deb -f "$deb" Version)"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libcurl4 libgit2 libsqlite3-0 libssl3 libopenblas libprotobuf-lite32 libisal2; do
  case "$depends" in *"$lib"*) ;; *) fail "Depends lacks $lib (from dpkg-shlibdeps): $depends" ;; esac
done
# Every dependency is a package this machine has, so apt install ./kf_*.deb needs nothing else.
for dep in $(tr ',' '\n' <<<"$depends" | sed 's/(.*//; s/|.*//' | tr -d ' '); do
  dpkg-query -W -f='${Status}' "$dep" 2>/dev/null | grep -q "install ok installed" || fail "Depends: $dep is not installed here"
done
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||' | sort >"$WORK/contents"
for f in usr/bin/kf usr/bin/kubectl-kf usr/bin/kf-trainer usr/bin/kf-server usr/bin/kf-tfevent-collector usr/share/man/man1/kf.1.gz \
  usr/share/bash-completion/completions/kf usr/share/doc/kf/copyright usr/share/doc/kf/changelog.gz; do
  grep -qxF "$f" "$WORK/contents" || fail "the .deb lacks $f"
done
lintian --tag-display-limit 0 "$deb" >"$WORK/lintian.log" 2>&1 || true
if grep -q '^E: ' "$WORK/lintian.log"; then
  fail "lintian reports errors:"
  grep '^E: ' "$WORK/lintian.log" >&2
fi
# dpkg -i into a root of its own: the files land, dpkg knows the package, removal removes them.
root="$WORK/root"
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
dpkg_root() { dpkg --root="$root" --force-not-root --force-depends --force-script-chrootless --log=/dev/null "$@"; }
dpkg_root -i "$deb" >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; fail "dpkg -i failed"; }
expect_eq "dpkg -i: installed" "install ok installed" "$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Status}' kf)"
expect_eq "dpkg -i: kf runs" "$version" "$("$root/usr/bin/kf" version)"
dpkg_root -r kf >"$WORK/dpkg.log" 2>&1 || { cat "$WORK/dpkg.log" >&2; fail "dpkg -r failed"; }
[ ! -e "$root/usr/bin/kf" ] || fail "dpkg -r left usr/bin/kf behind"
finish
