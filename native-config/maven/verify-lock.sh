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

# Those commands accept what the NixOS modules install (tests/rendered.nix), on a host of
# 16 CPUs and 64 GiB described by a --root tree.
if [ -z "$missing" ]; then
  host="$work/host"
  mkdir -p "$host/proc" "$host/sys/devices/system/cpu"
  echo "0-15" >"$host/sys/devices/system/cpu/online"
  for cpu in $(seq 0 15); do
    mkdir -p "$host/sys/devices/system/cpu/cpu$cpu/topology"
    echo "$cpu" >"$host/sys/devices/system/cpu/cpu$cpu/topology/thread_siblings_list"
  done
  printf 'MemTotal:       67108864 kB\n' >"$host/proc/meminfo"
  java=(java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED)
  vmctl=("${java[@]}" -cp "$work/src/vm-control/target/vm-control.jar:$work/src/vm-control/target/lib/*" org.oligarchy.vmm.control.cli.VmctlCommand)
  bridge=("${java[@]}" -cp "$work/src/audio-bridge/target/audio-bridge.jar:$work/src/audio-bridge/target/lib/*" org.oligarchy.vmm.bridge.cli.BridgeMain)
  names="$(nix-instantiate --readonly-mode --eval --strict --json -E "builtins.attrNames (import $root/native-config/tests/rendered.nix)" 2>/dev/null | tr -d '[]"' | tr , ' ')"
  [ -n "$names" ] || fail "tests/rendered.nix renders no file"
  for name in $names; do
    nix-instantiate --readonly-mode --eval --strict --json -E "(import $root/native-config/tests/rendered.nix).$name" 2>/dev/null \
      | python3 -c 'import json,sys; sys.stdout.write(json.load(sys.stdin))' >"$work/$name.json"
    if out="$(timeout 60 "${vmctl[@]}" validate --config "$work/$name.json" --root "$host" 2>&1)"; then
      pass "vmctl validate accepts the $name file the modules install"
    else
      fail "vmctl validate accepts the $name file the modules install"; echo "$out" | sed 's/^/    /'
    fi
    if grep -q '"bridge":{' "$work/$name.json"; then
      if out="$(timeout 60 "${bridge[@]}" run --check --config "$work/$name.json" 2>&1)"; then
        pass "netjack-bridge run --check accepts the $name file"
      else
        fail "netjack-bridge run --check accepts the $name file"; echo "$out" | sed 's/^/    /'
      fi
    fi
  done
fi

finish
