#!/usr/bin/env bash
# cpu-report.sh RESULT_DIR: the run's CPU per period per thread (issue 16), from every case's
# cpu_per_period_{master,bridge}.txt (bench/e2e/cpu-per-period.sh; it writes them first where they
# are missing). Appends the section "CPU per period per thread" to RESULT_DIR/report.md (replacing
# one appended before) and adds the key "cpuPerPeriodUs" to RESULT_DIR/summary.json (with jq; the
# keys E2eReport writes are left as they are). e2e.sh runs it after E2eReport.
#
# Per case (setup, L), medians over rounds of µs of CPU per period (1 period = 1333 µs at 96 kHz /
# 128, so 13.3 µs is 1 % of a core):
#   hostJackdUs           every thread of the host jackd
#   hostJackdExtraUs      the same minus the same round's baseline jackd (no bridge, no netmanager)
#   netmanagerThreadsUs   jack2: the host jackd's threads created after the server started (JACK2's
#                         netmanager's: a real-time one started by jack_load, a non-real-time one,
#                         and the NetJack2 master's client thread, which does the network I/O)
#   netmanagerBusiestUs   jack2: the busiest of those (the master's client thread)
#   serverExtraUs         jack2: the server's own threads minus the baseline's jackd
#   jackThreadUs          ours: the bridge's JACK process thread (its real-time thread not named nj-*)
#   dataThreadsUs         ours: nj-sender + nj-receiver (0 where the JACK thread sends and receives)
#   otherThreadsUs        ours: every other thread of the bridge (JVM, nj-conductor, stats, ...)
#   bridgeProcessUs       ours: the whole bridge process
#   totalExtraUs          what the case adds to the host: jack2 hostJackdExtraUs; ours
#                         bridgeProcessUs + hostJackdExtraUs
#   otherTop              ours: the other threads by name (summed per name; Linux cuts a name at 15
#                         characters), busiest first, those of at least 0.01 µs
# and per L "totalExtraRatio": ours / JACK2 of totalExtraUs (the schedstat twin of cpuRatio).
set -euo pipefail
out=${1:?usage: cpu-report.sh RESULT_DIR}
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
rows=$(mktemp)
trap 'rm -f "$rows" "$rows.json"' EXIT
for case_dir in "$out"/raw/round*/*/; do
  case_dir=${case_dir%/}
  props="$case_dir/case.properties"
  [ -f "$props" ] && ! grep -q '^failed=' "$props" || continue
  [ -f "$case_dir/cpu_per_period_master.txt" ] || "$here/cpu-per-period.sh" "$case_dir"
  [ -f "$case_dir/cpu_per_period_master.txt" ] || continue
  kind=$(sed -n 's/^kind=//p' "$props"); latency=$(sed -n 's/^latency_periods=//p' "$props")
  round=$(sed -n 's/^round=//p' "$props")
  # One line per value: round kind L metric value
  for who in master bridge; do
    f="$case_dir/cpu_per_period_$who.txt"
    [ -f "$f" ] || continue
    awk -v who="$who" -v pre="$round $kind $latency" '
      /^#/ || $2 == "-" {next}
      {
        name = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+ [^ ]+ /, "", name)
        total += $2; role[$5] += $2
        if ($5 == "client" && $2 > busiest) busiest = $2
        if ($5 == "other") byname[name] += $2
      }
      END {
        if (who == "master") {
          print pre, "host", total + 0
          print pre, "client", role["client"] + 0
          print pre, "busiest", busiest + 0
          print pre, "server", role["server"] + 0
        } else {
          print pre, "bridge", total + 0
          print pre, "jack", role["jack"] + 0
          print pre, "data", role["data"] + 0
          print pre, "other", role["other"] + 0
          for (n in byname) { label = n; gsub(/ /, "~", label); print pre, "thr:" label, byname[n] }
        }
      }' "$f" >> "$rows"
  done
done
[ -s "$rows" ] || { echo "cpu-report: no cpu_per_period files under $out/raw" >&2; exit 0; }

# Medians over rounds; the extras against the same round's baseline.
awk -v md="$out/report.md.cpu" -v js="$rows.json" '
  function median(list,    a, n, i, j, t) {
    n = split(list, a, " ")
    if (n == 0) return ""
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function add(k, l, m, v) { vals[k, l, m] = vals[k, l, m] " " v; if (!((k, l) in seen)) { seen[k, l] = 1; order[++cases] = k SUBSEP l } }
  function med(k, l, m) { return median(vals[k, l, m]) }
  function num(v) { return v == "" ? "null" : sprintf("%.2f", v) }
  function cell(v) { return v == "" ? "–" : sprintf("%.1f", v) }
  { r = $1; k = $2; l = $3; m = $4; v = $5; data[NR] = $0
    if (k == "baseline" && m == "host") base[r] = v
    rounds[k, l, r] = 1 }
  END {
    for (i = 1; i <= NR; i++) {
      split(data[i], f, " "); r = f[1]; k = f[2]; l = (k == "baseline") ? "-" : f[3]; m = f[4]; v = f[5]
      add(k, l, m, v)
      if (m == "host" && (r in base) && k != "baseline") add(k, l, "hostExtra", v - base[r])
      if (m == "server" && (r in base) && k == "jack2") add(k, l, "serverExtra", v - base[r])
      if (m == "bridge") { bridgeOf[k, l, r] = v }
      if (m == "host" && (r in base)) hostExtraOf[k, l, r] = v - base[r]
      if (m ~ /^thr:/) { names[k, l, substr(m, 5)] = 1 }
    }
    for (key in hostExtraOf) {
      split(key, p, SUBSEP)
      if (p[1] == "jack2") add(p[1], p[2], "total", hostExtraOf[key])
      else if ((key in bridgeOf)) add(p[1], p[2], "total", bridgeOf[key] + hostExtraOf[key])
    }
    print "## CPU per period per thread (issue 16; µs of CPU per period, median over rounds)\n" > md
    print "From `/proc/PID/task/TID/schedstat` (ns on CPU, exact) at the window'"'"'s start and end; per thread in" > md
    print "`raw/round*/<case>/cpu_per_period_{master,bridge}.txt` (`bench/e2e/per-thread.sh` prints them). One" > md
    print "period is 1333 µs: 13.3 µs per period is 1 % of a core. Extra = minus the same round'"'"'s baseline jackd.\n" > md
    print "| L | Setup | Host jackd extra | JACK2 netmanager threads (busiest) | Our JACK thread | nj-sender + nj-receiver | Our other threads (top ones) | Bridge process | Extra in all (% of a core) |" > md
    print "|---|---|---|---|---|---|---|---|---|" > md
    json = "{\n    \"baselineHostJackdUs\": " num(med("baseline", "-", "host")) ",\n    \"cases\": ["
    first = 1
    for (c = 1; c <= cases; c++) {
      split(order[c], p, SUBSEP); k = p[1]; l = p[2]
      if (k == "baseline") continue
      n = 0; for (rk in rounds) { split(rk, q, SUBSEP); if (q[1] == k && q[2] == l) n++ }
      total = med(k, l, "total")
      json = json (first ? "\n" : ",\n") "      {\"setup\": \"" k "\", \"L\": " l ", \"rounds\": " n
      json = json ", \"hostJackdUs\": " num(med(k, l, "host")) ", \"hostJackdExtraUs\": " num(med(k, l, "hostExtra"))
      first = 0
      if (k == "jack2") {
        json = json ", \"netmanagerThreadsUs\": " num(med(k, l, "client")) ", \"netmanagerBusiestUs\": " num(med(k, l, "busiest"))
        json = json ", \"serverExtraUs\": " num(med(k, l, "serverExtra")) ", \"totalExtraUs\": " num(total) "}"
        printf "| %s | JACK2 netmanager | %s | %s (%s) | – | – | – | – | %s (%s) |\n", l, cell(med(k, l, "hostExtra")),
          cell(med(k, l, "client")), cell(med(k, l, "busiest")), cell(total), total == "" ? "–" : sprintf("%.2f", total / 13.333) > md
        jack2total[l] = total
        continue
      }
      # The other threads by name, busiest first (median over rounds of each name; a name missing
      # from a round counts 0 there only through the median of the rounds that had it).
      top = ""; topjson = ""; delete tn; delete tv; m = 0
      for (nk in names) { split(nk, q, SUBSEP); if (q[1] == k && q[2] == l) { tn[++m] = q[3]; tv[m] = med(k, l, "thr:" q[3]) } }
      for (i = 2; i <= m; i++) { tt = tv[i]; ts = tn[i]; for (j = i - 1; j >= 1 && tv[j] + 0 < tt + 0; j--) { tv[j + 1] = tv[j]; tn[j + 1] = tn[j] } tv[j + 1] = tt; tn[j + 1] = ts }
      for (i = 1; i <= m; i++) {
        label = tn[i]; gsub(/~/, " ", label)
        if (i <= 4 && tv[i] >= 0.05) top = top (top == "" ? "" : ", ") label " " sprintf("%.1f", tv[i])
        if (tv[i] >= 0.01) topjson = topjson (topjson == "" ? "" : ", ") "{\"thread\": \"" label "\", \"us\": " num(tv[i]) "}"
      }
      json = json ", \"jackThreadUs\": " num(med(k, l, "jack")) ", \"dataThreadsUs\": " num(med(k, l, "data"))
      json = json ", \"otherThreadsUs\": " num(med(k, l, "other")) ", \"bridgeProcessUs\": " num(med(k, l, "bridge"))
      json = json ", \"totalExtraUs\": " num(total) ", \"otherTop\": [" topjson "]}"
      printf "| %s | ours (`%s`) | %s | – | %s | %s | %s: %s | %s | %s (%s) |\n", l, k, cell(med(k, l, "hostExtra")),
        cell(med(k, l, "jack")), cell(med(k, l, "data")), cell(med(k, l, "other")), top, cell(med(k, l, "bridge")),
        cell(total), total == "" ? "–" : sprintf("%.2f", total / 13.333) > md
      if (k == "bridge") ourtotal[l] = total
    }
    json = json "\n    ],\n    \"perL\": {"
    first = 1
    for (l in ourtotal) {
      ratio = (l in jack2total) && jack2total[l] > 0 ? ourtotal[l] / jack2total[l] : ""
      json = json (first ? "\n" : ",\n") "      \"" l "\": {\"totalExtraRatio\": " (ratio == "" ? "null" : sprintf("%.3f", ratio)) "}"
      first = 0
    }
    print json "\n    }\n  }" > js
    printf "\nBaseline host jackd alone: %s µs per period. The JACK2 column counts every host jackd thread\n", cell(med("baseline", "-", "host")) > md
    print "created after the server started: JACK2'"'"'s netmanager'"'"'s (the busiest is the NetJack2 master'"'"'s client" > md
    print "thread, created when the slave joins, which does the network I/O); the server'"'"'s own extra work is in" > md
    print "\"Host jackd extra\". Ours: the JACK process thread is the bridge'"'"'s real-time thread not named nj-*." > md
  }' "$rows"

# report.md: drop a section appended before, then append this one.
if [ -f "$out/report.md" ]; then
  awk '/^## CPU per period per thread/ {skip = 1} !skip' "$out/report.md" > "$out/report.md.tmp"
  { cat "$out/report.md.tmp"; echo; cat "$out/report.md.cpu"; } > "$out/report.md"
  rm -f "$out/report.md.tmp" "$out/report.md.cpu"
else
  mv "$out/report.md.cpu" "$out/report.md"
fi
if [ -f "$out/summary.json" ] && command -v jq >/dev/null; then
  jq --slurpfile c "$rows.json" '. + {cpuPerPeriodUs: $c[0]}' "$out/summary.json" > "$out/summary.json.tmp" &&
    mv "$out/summary.json.tmp" "$out/summary.json"
else
  echo "cpu-report: summary.json or jq missing; cpuPerPeriodUs not added" >&2
fi
