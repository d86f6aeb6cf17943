#!/usr/bin/env bash
# Writes native-config/maven/deps.json: every file of the Maven repository that the package's
# build (`mvn $(cat build-args)`, the command package.nix runs) resolves, with its sha256.
#
# The resolution is Maven's own, offline: the build runs against a copy of the local cache
# (~/.m2/repository, or $MAVEN_CACHE) under strace, and every repository file Maven opens
# or checks for (POMs, including those of versions that lose mediation, and jars) is locked. Build the
# project once normally first, so the cache holds everything. Needs strace.
#
#   native-config/maven/lock.sh            rewrite deps.json
#   native-config/maven/lock.sh --check    exit 1 (with a diff) when deps.json is not what
#                                           the build opens today
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${MAVEN_CACHE:-$HOME/.m2/repository}"
out="$here/deps.json"
check=0
[ "${1:-}" = --check ] && check=1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A copy of the sources without build output, so the resolution does not depend on target/.
mkdir "$work/src"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$work/src"

cp -a "$cache" "$work/repo"
# shellcheck disable=SC2046
(cd "$work/src" && strace -f -qq -e trace=openat,stat,lstat,newfstatat,statx,access,faccessat,faccessat2 -o "$work/trace" \
  mvn -B -ntp -q -o -Dmaven.repo.local="$work/repo" $(cat "$here/build-args")) \
  >"$work/mvn.log" 2>&1 || { cat "$work/mvn.log" >&2; echo "lock.sh: the build failed" >&2; exit 1; }
# The repository files opened successfully, relative to the repository.
grep -v ' = -1 ' "$work/trace" | grep -o "\"$work/repo/[^\"]*\"" | tr -d '"' | sed "s|^$work/repo/||" \
  | sort -u >"$work/opened"

# Every artifact file (not Maven's own bookkeeping), as JSON sorted by path.
python3 - "$work/repo" "$work/opened" >"$work/deps.json" <<'PY'
import hashlib, json, os, sys
repo, opened = sys.argv[1], sys.argv[2]
skip = ("_remote.repositories", "resolver-status.properties")
artifacts = []
for rel in open(opened).read().split():
        dirpath, name = os.path.split(os.path.join(repo, rel))
        if not os.path.isfile(os.path.join(dirpath, name)):
            continue
        if name in skip or name.endswith((".lastUpdated", ".sha1", ".md5")) or name.startswith("maven-metadata"):
            continue
        parts = rel.split("/")
        group, artifact, version = ".".join(parts[:-3]), parts[-3], parts[-2]
        stem = artifact + "-" + version
        if not name.startswith(stem):
            sys.exit(f"lock.sh: unexpected file {rel}")
        rest = name[len(stem):]
        classifier = None
        if rest.startswith("-"):
            classifier, _, ext = rest[1:].partition(".")
        else:
            ext = rest[1:]
        with open(os.path.join(dirpath, name), "rb") as f:
            sha256 = hashlib.sha256(f.read()).hexdigest()
        artifacts.append({"group": group, "artifact": artifact, "version": version,
                          "classifier": classifier, "type": ext, "sha256": sha256})
artifacts.sort(key=lambda a: (a["group"], a["artifact"], a["version"], a["classifier"] or "", a["type"]))
json.dump({"repository": "https://repo.maven.apache.org/maven2", "artifacts": artifacts}, sys.stdout, indent=1)
sys.stdout.write("\n")
PY

if [ "$check" = 1 ]; then
  if diff -u "$out" "$work/deps.json"; then
    echo "lock.sh: deps.json matches what the build resolves ($(grep -c '"sha256"' "$out") files)"
  else
    echo "lock.sh: deps.json is out of date; run native-config/maven/lock.sh and commit it" >&2
    exit 1
  fi
else
  cp "$work/deps.json" "$out"
  echo "lock.sh: wrote $out ($(grep -c '"sha256"' "$out") files)"
fi
