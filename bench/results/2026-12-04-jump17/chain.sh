#!/usr/bin/env bash
# Issue 17's latency-jump correction side by side (2026-12-04), bench/drift.sh with our setup only,
# 3 rounds x 30 s per run. Run under the build lock from the repository root.
#   -off, -off2  the correction off (-Dnetjack.bridge.jumpCorrection=false: the behaviour before)
#   -on          the correction on (the default since commit 4d7f7b9)
#   -follow      a variant that was tried and dropped: jumps within half the margin followed
#                (the fill held moved, the audio left alone), beyond it made good; its code is
#                not on main (docs/resampling.md §3, "Jumps", says why)
# summary.txt: per round the round trip's median and 5th-95th percentile after the first 10 s
# (jack_delay lines marked ??? left out), lock losses and the jumps, from raw/ by summarize.py.
set -euo pipefail
d=bench/results/2026-12-04-jump17
export JACK_NO_AUDIO_RESERVATION=1
NETJACK_BRIDGE_JAVA_OPTS=-Dnetjack.bridge.jumpCorrection=false bench/drift.sh --setups ours --rounds 3 --guest-rate 96010 --out $d/96010-off
bench/drift.sh --setups ours --rounds 3 --guest-rate 96010 --out $d/96010-on
bench/drift.sh --setups ours --rounds 3 --guest-rate 95981 --out $d/95981-on
NETJACK_BRIDGE_JAVA_OPTS=-Dnetjack.bridge.jumpCorrection=false bench/drift.sh --setups ours --rounds 3 --guest-rate 95981 --out $d/95981-off
# (the follow variant's build) bench/drift.sh --setups ours --rounds 3 --guest-rate 96010 --out $d/96010-follow
# (the follow variant's build) bench/drift.sh --setups ours --rounds 3 --guest-rate 95981 --out $d/95981-follow
NETJACK_BRIDGE_JAVA_OPTS=-Dnetjack.bridge.jumpCorrection=false bench/drift.sh --setups ours --rounds 3 --guest-rate 96010 --out $d/96010-off2
python3 $d/summarize.py $d/96010-off $d/96010-off2 $d/96010-on $d/96010-follow $d/95981-off $d/95981-on $d/95981-follow > $d/summary.txt
