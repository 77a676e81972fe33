# SPDX-License-Identifier: GPL-2.0-or-later
# vmlinkd's CPU per message and memory per channel against the number of channels (docs/).
# Usage: gnuplot -e "samples='FILE'; output='SVG'" bridge-scale.gp
# FILE, as bridge-bench --samples writes it: one line per number of channels, ascending:
# "CHANNELS CPU_US_FLAT_OUT CPU_US_PACED RSS_KIB_PER_CHANNEL RSS_KIB_PER_CHANNEL_FROM_PREVIOUS"
# (the last is "-" on the first line).

stats samples using 1 nooutput
fewest = STATS_min
most = STATS_max
# The goal is relative to the fewest channels' CPU per message (the first line).
stats samples every ::0::0 using 2 nooutput
base = STATS_min
stats samples using 3 nooutput
paced_max = STATS_max
stats samples using 4 nooutput
rss_max = STATS_max

set terminal svg size 960,460 dynamic enhanced font "sans,12" background "white"
set output output
set multiplot layout 1,2 title "vmlinkd: scripted guests on UNIX sockets, one core"

set logscale x
set xrange [fewest / 1.5 : most * 1.5]
set xtics (10, 100, 1000, 5000, 10000)
set grid xtics ytics lc rgb "#dddddd"
set xlabel "channels (VMs), log scale"

set title "CPU time of vmlinkd per message"
set ylabel "µs (log scale)"
set logscale y
set yrange [1 : (paced_max > base * 20 ? paced_max * 10 : base * 200)]
set key top left Left reverse samplen 2
set arrow 1 from fewest, base * 1.3 to most, base * 1.3 nohead dashtype 2 lc rgb "#c03030"
set label 1 "goal: 1.3x flat out at the fewest" at fewest, base * 1.3 left offset 0.5, 0.8 \
    tc rgb "#c03030"
plot samples using 1:2 with linespoints lw 2 pt 7 lc rgb "#2060b0" title "flat out", \
     samples using 1:3 with linespoints lw 2 pt 5 lc rgb "#e09020" \
         title "at the agents' pace (a heartbeat per VM every 5 s)"
unset arrow 1
unset label 1

set title "Resident memory per idle channel"
set ylabel "KiB per channel (log scale)"
set yrange [2 : (rss_max > 64 ? rss_max * 2 : 128)]
set key bottom left Left reverse samplen 2
set arrow 2 from fewest / 1.5, 16 to most * 1.5, 16 nohead dashtype 2 lc rgb "#c03030"
set label 2 "goal: 16 KiB" at most, 16 right offset 0, 0.8 tc rgb "#c03030"
set datafile missing "-"
plot samples using 1:4 with linespoints lw 2 pt 7 lc rgb "#2060b0" \
         title "(VmRSS with N channels - without) / N", \
     samples using 1:5 with linespoints lw 2 pt 5 lc rgb "#30a050" \
         title "slope from the previous N"

unset multiplot
