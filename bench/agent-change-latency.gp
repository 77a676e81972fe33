# SPDX-License-Identifier: GPL-2.0-or-later
# The change-to-report latency of vmlink-agent as a cumulative distribution (docs/).
# Usage: gnuplot -e "samples='FILE'; output='SVG'" agent-change-latency.gp
# FILE, as agent-bench --samples writes it: three blocks (all changes, addresses added,
# addresses removed) of sorted lines "LATENCY_MS PERCENT_WITHIN".

stats samples index 0 using 1 nooutput
all = STATS_records
low = STATS_min
high = STATS_max
stats samples index 1 using 1 nooutput
added = STATS_records
stats samples index 2 using 1 nooutput
removed = STATS_records

set terminal svg size 760,420 dynamic enhanced font "sans,12" background "white"
set output output
set title "vmlink-agent: address change in the guest to partial report on the host"
set xlabel "latency (ms, log scale)"
set ylabel "changes reported within (%)"
set logscale x
set xrange [(low > 1.25 ? 1 : low * 0.8) : (high > 25 ? high * 1.3 : 30)]
set xtics (0.5, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000)
set yrange [0:100]
set grid xtics ytics lc rgb "#dddddd"
set key bottom right
set arrow from 20, 0 to 20, 100 nohead dashtype 2 lc rgb "#c03030"
set label "goal: p99 < 20 ms" at 20, 60 right offset -0.5, 0 tc rgb "#c03030"

plot samples index 0 using 1:2 with steps lw 3 lc rgb "#2060b0" \
         title sprintf("all changes (%d)", all), \
     samples index 1 using 1:2 with steps lw 1 lc rgb "#30a050" \
         title sprintf("address added (%d)", added), \
     samples index 2 using 1:2 with steps lw 1 lc rgb "#e09020" \
         title sprintf("address removed (%d)", removed)
