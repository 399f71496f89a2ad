# Throughput against row length D, one line per kernel, the roofline
# probes (memory read, copy, non-temporal copy) as black/grey references.
# Left: cache-resident working set (x + y fill half of L2, compute-bound);
# right: memory-bound (4x the LLC).
# Each kernel's points carry error bars in a light tint of its colour: the
# interquartile range of the samples' per-call time, as GB/s (the table's
# columns 4-7; drawn when the results have quartiles, iqr = 1: older
# perf.csv files have none, and their figures are the lines alone).
# Variables: op (the op's title), dt, tag (table tput_<tag>), bytes (what
# the op's GB/s count; default x read + y written).
load 'plots/style.gp'
load tables.'/probes.gp'
load tables.'/tput_'.tag.'.gp'
data = tables.'/tput_'.tag.'.dat'
kl2 = inl2
kmem = inmem
# the bars: a plot element per panel (a macro, empty when there are no
# quartiles: an empty loop's element is still evaluated, and fails)
bar(k, c1, c2, c3) = 'for [k = 1:words('.k.')] for [i = pos('.k.', k):pos('.k.', k)] data index (i - 1) ' . \
  'using 1:'.c1.':'.c2.':'.c3.' with yerrorbars lc rgb algo_light(algo_of(nth(names, i))) lw 1.5 pt 7 ps 0 notitle, '
bars_l2 = iqr ? bar('kl2', 2, 4, 5) : ''
bars_mem = iqr ? bar('kmem', 3, 6, 7) : ''
set bars 0.6
# the non-temporal copy bypasses the caches: no cache-resident reference
pl2 = ''
do for [k = 1:words(probes)] { if (word(probes, k) ne 'copy_nt') { pl2 = pl2.' '.word(probes, k) } }

# kernels the memory-bound sweep left out (the rule: memrule, from
# normbench report; a quick run also keeps only the fastest ISA of each
# algorithm), named under the right panel while they fit on its line
gone = ''
ngone = 0
do for [k = 1:words(kl2)] {
  if (strstrt(' '.kmem.' ', ' '.word(kl2, k).' ') == 0) {
    gone = gone.(gone eq '' ? '' : ', ').nth(names, word(kl2, k))
    ngone = ngone + 1
  }
}
if (ngone > 0) {
  set label 1 'not run here ('.memrule.'; a quick run: other ISAs too):' at screen 0.48, 0.055 left font ',10'
  set label 2 (strlen(gone) <= 90 ? gone : sprintf('%d kernels (machine.txt names them)', ngone)) at screen 0.48, 0.02 left font ',10' noenhanced
}
# what the bars are, under the left panel (labels 1 and 2 sit under the right)
if (iqr) { set label 3 iqr_note at screen 0.08, 0.055 left font ',10' noenhanced }

set multiplot title sprintf("%s %s: throughput against row length D (median of the samples; higher is better)", op, dt)
set logscale y 10
set format y "%g"
set xlabel "row length D (elements; 1k = 1024)"
@tics_d4
set ylabel sprintf("GB/s (%s)", exists("bytes") ? bytes : "x read + y written")
set bmargin at screen 0.19
set tmargin at screen 0.86

set title "cache-resident: x + y = half of L2"
set lmargin at screen 0.08
set rmargin at screen 0.40
set key off
plot @bars_l2 for [k = 1:words(kl2)] for [i = pos(kl2, k):pos(kl2, k)] data index (i - 1) using 1:2 with linespoints \
       lc rgb algo_color(algo_of(nth(names, i))) dt isa_dash(isa_of(nth(names, i))) \
       pt isa_point(isa_of(nth(names, i))) ps 0.9 lw 2 notitle, \
     for [k = 1:words(pl2)] value('l2_'.word(pl2, k)) with lines \
       lc rgb probe_color(word(pl2, k)) dt probe_dash(word(pl2, k)) lw 2 notitle

set title "memory-bound: x + y = 4x the LLC"
# the left panel's D axis: the panels read side by side, and a quick run's
# memory-bound sweep has a single D (an empty range of its own)
set xrange [GPVAL_X_MIN:GPVAL_X_MAX]
unset label 1
unset label 2
unset label 3
set lmargin at screen 0.48
set rmargin at screen 0.81
unset ylabel
plot @bars_mem for [k = 1:words(kmem)] for [i = pos(kmem, k):pos(kmem, k)] data index (i - 1) using 1:3 with linespoints \
       lc rgb algo_color(algo_of(nth(names, i))) dt isa_dash(isa_of(nth(names, i))) \
       pt isa_point(isa_of(nth(names, i))) ps 0.9 lw 2 notitle, \
     for [k = 1:words(probes)] value('mem_'.word(probes, k)) with lines \
       lc rgb probe_color(word(probes, k)) dt probe_dash(word(probes, k)) lw 2 notitle

# the legend: every kernel (the left panel has them all), then the probes
lx0 = 0.815; lx1 = 0.995; ly0 = 0.02; ly1 = 0.9
@legend_panel
set key font ',11' spacing 0.95 samplen 2
plot for [k = 1:words(kl2)] for [i = pos(kl2, k):pos(kl2, k)] keyentry with linespoints \
       lc rgb algo_color(algo_of(nth(names, i))) dt isa_dash(isa_of(nth(names, i))) \
       pt isa_point(isa_of(nth(names, i))) ps 0.9 lw 2 title nth(names, i), \
     for [k = 1:words(probes)] keyentry with lines lc rgb probe_color(word(probes, k)) \
       dt probe_dash(word(probes, k)) lw 2 title 'probe: '.word(probes, k), \
     @legend_end
unset multiplot
