#!/usr/bin/env bash
# Tests of native-config that need only Debian's nix-bin (no nixpkgs, no daemon, no network):
#   1. `nix-instantiate --parse` on every .nix file;
#   2. every case of tests/cases/*.nix (a list of { name; actual; expected; }) evaluated with
#      `nix-instantiate --eval --strict`, one process per case, actual compared with expected;
#   3. README.md quotes every examples/*.nix file verbatim.
# Prints one line per test and ends with "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"

if ! command -v nix-instantiate >/dev/null 2>&1; then
  echo "run.sh: nix-instantiate not found; install Debian's nix-bin" >&2
  exit 2
fi

# A private state directory and --readonly-mode: works as root or not, with no daemon and
# without touching /nix/var or the store.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export NIX_STATE_DIR="$tmp/state" NIX_LOG_DIR="$tmp/log" XDG_CACHE_HOME="$tmp/cache"
export HOME="${HOME:-$tmp}"
# No build users: nothing is built (this also silences the "nixbld does not exist" warning).
export NIX_CONFIG="build-users-group ="
nixi() { nix-instantiate --readonly-mode "$@"; }

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1"; }

# 1. Every .nix file parses.
while IFS= read -r -d '' file; do
  rel="${file#"$root"/}"
  if out="$(nixi --parse "$file" 2>&1 >/dev/null)"; then
    pass "parse $rel"
  else
    fail "parse $rel"
    printf '%s\n' "$out" | sed 's/^/    /'
  fi
done < <(find "$root" -name '*.nix' -not -path '*/.git/*' -not -path '*/tests/nixpkgs-lib/*' -print0 | sort -z)

# 2. Cases of the pure functions.
for file in "$here"/cases/*.nix; do
  rel="${file#"$root"/}"
  if ! count="$(nixi --eval --strict -E "builtins.length (import $file)" 2>"$tmp/err")"; then
    fail "$rel does not evaluate"
    sed 's/^/    /' "$tmp/err"
    continue
  fi
  for ((i = 0; i < count; i++)); do
    # A case with expectedError instead of expected passes when evaluating `actual` fails with
    # an error message that contains that text (what nixos-rebuild would print).
    if name="$(nixi --eval --strict -E "let c = builtins.elemAt (import $file) $i; in if c ? expectedError then c.name else null" 2>/dev/null)" \
        && [ "$name" != null ]; then
      name="${name#\"}"; name="${name%\"}"; name="${name//\\\"/\"}"
      wanted="$(nixi --eval --strict --json -E "(builtins.elemAt (import $file) $i).expectedError" 2>/dev/null \
        | python3 -c 'import json,sys; print(json.load(sys.stdin))')"
      if nixi --eval --strict -E "(builtins.elemAt (import $file) $i).actual" >/dev/null 2>"$tmp/err"; then
        fail "$name"
        echo "    evaluated without error; expected an error containing: $wanted"
      elif grep -qF -- "$wanted" <(tr '\n' ' ' <"$tmp/err" | tr -s ' '); then
        pass "$name"
      else
        fail "$name"
        echo "    expected an error containing: $wanted"
        sed 's/^/    got: /' "$tmp/err"
      fi
      continue
    fi
    expr="let c = builtins.elemAt (import $file) $i; in (if c.actual == c.expected then \"PASS \" else \"FAIL \") + c.name"
    if ! line="$(nixi --eval --strict -E "$expr" 2>"$tmp/err")"; then
      fail "$rel case $i does not evaluate"
      sed 's/^/    /' "$tmp/err"
      continue
    fi
    # The result is a Nix string literal: drop the quotes.
    line="${line#\"}"
    line="${line%\"}"
    line="${line//\\\"/\"}"
    name="${line#* }"
    if [ "${line%% *}" = PASS ]; then
      pass "$name"
    else
      fail "$name"
      echo "    expected: $(nixi --eval --strict --json -E "(builtins.elemAt (import $file) $i).expected" 2>&1)"
      echo "    actual:   $(nixi --eval --strict --json -E "(builtins.elemAt (import $file) $i).actual" 2>&1)"
    fi
  done
done

# 3. The README quotes every example verbatim, so what the tests evaluate is what users copy.
readme="$(cat "$root/README.md")"
for file in "$root"/examples/*.nix; do
  rel="${file#"$root"/}"
  if [[ "$readme" == *"$(cat "$file")"* ]]; then
    pass "README.md quotes $rel verbatim"
  else
    fail "README.md quotes $rel verbatim"
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
