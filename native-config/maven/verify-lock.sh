#!/usr/bin/env bash
# Proves maven/deps.json complete and true, the way package.nix uses it: a fresh local
# repository is assembled from the lock's files alone (copied from the local cache,
# ~/.m2/repository or $MAVEN_CACHE, each checked against the lock's sha256; a file the cache
# lacks is fetched by Maven), at the paths lib/maven-repo.nix computes, and the project is
# built from it with `mvn -o $(cat build-args)`, the package's build. Fails when a dependency
# changed and the lock did not. Ends with "N passed, M failed".
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${MAVEN_CACHE:-$HOME/.m2/repository}"
lock="${MAVEN_LOCK:-$here/deps.json}"   # another lock, to see this check fail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export NIX_STATE_DIR="$work/nix-state" NIX_LOG_DIR="$work/nix-log"

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }
finish() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

# The paths and hashes, from the same Nix function the package uses.
if ! nix-instantiate --readonly-mode --eval --strict --json -E \
    "with (import $root/native-config/lib).mavenRepo; map (e: e.path + \" \" + e.sha256) (entries (builtins.fromJSON (builtins.readFile $lock)))" \
    2>"$work/err" | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)))' >"$work/entries"; then
  cat "$work/err" >&2
  fail "lib/maven-repo.nix lists the locked files"
  finish
fi
count="$(wc -l <"$work/entries")"
[ "$count" -gt 0 ] && pass "lib/maven-repo.nix lists $count locked files" || { fail "deps.json locks no file"; finish; }

# The repository, from the lock alone.
mismatched=0
while read -r path sha256; do
  if [ ! -f "$cache/$path" ]; then
    # A file no build on this machine has needed yet: let Maven fetch it into the cache.
    IFS=/ read -ra parts <<<"$path"
    n=${#parts[@]}
    version="${parts[n-2]}"; artifact="${parts[n-3]}"
    group="$(IFS=.; echo "${parts[*]:0:n-3}")"
    file="${parts[n-1]}"; rest="${file#"$artifact-$version"}"
    if [ "${rest:0:1}" = - ]; then classifier="${rest:1}"; classifier="${classifier%%.*}"; type="${rest#-"$classifier".}"; else classifier=""; type="${rest#.}"; fi
    mvn -B -ntp -q dependency:get -Dtransitive=false \
      -Dartifact="$group:$artifact:$version:$type${classifier:+:$classifier}" >/dev/null 2>&1 || true
  fi
  mkdir -p "$work/repo/$(dirname "$path")"
  if [ -f "$cache/$path" ] && cp "$cache/$path" "$work/repo/$path" \
      && [ "$(sha256sum "$work/repo/$path" | cut -d' ' -f1)" = "$sha256" ]; then
    :
  else
    mismatched=$((mismatched + 1))
    echo "    $path: missing, or its sha256 is not the lock's $sha256" >&2
  fi
done <"$work/entries"
if [ "$mismatched" -eq 0 ]; then
  pass "every locked file is in the cache with the lock's sha256"
else
  fail "$mismatched locked files are missing or differ from the lock (run native-config/maven/lock.sh)"
fi

# The build, offline, from nothing but that repository.
mkdir "$work/src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$work/src"
# shellcheck disable=SC2046
if (cd "$work/src" && mvn -B -ntp -o -Dmaven.repo.local="$work/repo" $(cat "$here/build-args")) >"$work/mvn.log" 2>&1; then
  pass "mvn -o builds the package from the locked files alone"
else
  grep -E '^\[ERROR\]' "$work/mvn.log" | head -20 >&2
  fail "mvn -o builds the package from the locked files alone (the lock is incomplete: run native-config/maven/lock.sh and commit deps.json)"
fi

# What package.nix installs is there.
missing=""
for module in audio-bridge vm-control; do
  [ -f "$work/src/$module/target/$module.jar" ] || missing+=" $module/target/$module.jar"
  ls "$work/src/$module/target/lib/"*.jar >/dev/null 2>&1 || missing+=" $module/target/lib/*.jar"
done
[ -z "$missing" ] && pass "the build leaves the jars and lib/ that package.nix installs" || fail "missing:$missing"

finish
