# The offline Maven repository that package.nix builds from: one fixed-output download per
# file of maven/deps.json (written by maven/lock.sh from a real resolution), laid out as
# Maven lays out a repository. Pure, so maven/verify-lock.sh assembles the same paths from
# the local cache and proves `mvn -o` builds the project from them alone.
let
  inherit (builtins) replaceStrings map;
in
rec {
  # group/artifact/version/artifact-version[-classifier].type
  pathOf = a:
    "${replaceStrings [ "." ] [ "/" ] a.group}/${a.artifact}/${a.version}/${a.artifact}-${a.version}"
    + (if a.classifier == null then "" else "-${a.classifier}") + ".${a.type}";

  # [ { path; url; sha256; } ], in the lock's order.
  entries = lock: map (a: { path = pathOf a; url = "${lock.repository}/${pathOf a}"; inherit (a) sha256; }) lock.artifacts;
}
