# Max error against row length D, on the rows each kernel's declared bound
# covers (normbench report), one panel per algorithm, colour by ISA;
# the declared bound (normbench list --csv --d D) dashed in the same colour.
# Points a log axis cannot draw (error 0, no finite error) named at the top.
# Variables: op, dt, tag (table err_<tag>), unit (of the errors; default
# ulps of the output format).
load 'plots/style.gp'
load tables.'/err_'.tag.'.gp'
data = tables.'/err_'.tag.'.dat'
algos = ''
do for [i = 1:words(names)] {
  a = algo_of(nth(names, i))
  if (strstrt(' '.algos.' ', ' '.a.' ') == 0) { algos = algos.' '.a }
}
isas = ''
do for [i = 1:words(names)] {
  s = isa_of(nth(names, i))
  if (strstrt(' '.isas.' ', ' '.s.' ') == 0) { isas = isas.' '.s }
}

set multiplot layout 2, 3 margins 0.095, 0.80, 0.1, 0.85 spacing 0.06, 0.12 title sprintf("%s %s: max error against D on promised rows (solid), declared bound (dashed)", op, dt)
set logscale y 10
# one y range for every panel (tables: ylo, yhi, whole decades), so that
# panels compare at a glance
set yrange [ylo:yhi]
set format y "10^{%L}"
@tics_d16
# axis titles once for the grid, shown with the first panel
set label 1 "row length D (elements; 1k = 1024)" at screen 0.44, 0.025 center
set label 2 sprintf("max error (%s)", exists("unit") ? unit : "ulps of the output format") at screen 0.012, 0.5 center rotate by 90
set label 3 note at screen 0.5, 0.925 center font ',10' noenhanced
# the legend (ISA colours, solid measured, dashed bound) beside the last panel
do for [j = 1:words(algos)] {
  a = word(algos, j)
  idx = ''
  bidx = ''
  do for [i = 1:words(names)] {
    if (algo_of(word(names, i)) eq a) {
      idx = idx.sprintf(' %d', i)
      if (strstrt(' '.bounded.' ', sprintf(' %d ', i))) { bidx = bidx.sprintf(' %d', i) }
    }
  }
  set title a
  if (j == 2) { unset label 1; unset label 2; unset label 3 }
  last = j == words(algos)
  # only the last panel has a key: an empty one would still draw its box
  if (last) { set key at screen 0.995, 0.9 right top vertical } else { set key off }
  plot for [k = 1:words(idx)] data index (pos(idx, k) - 1) using 1:2 with linespoints \
         lc rgb isa_color(isa_of(nth(names, pos(idx, k)))) pt isa_point(isa_of(nth(names, pos(idx, k)))) \
         ps 0.9 lw 2 notitle, \
       for [k = 1:words(bidx)] data index (pos(bidx, k) - 1) using 1:3 with lines \
         lc rgb isa_color(isa_of(nth(names, pos(bidx, k)))) dt 2 lw 2 notitle, \
       for [k = 1:(last ? words(isas) : 0)] keyentry with linespoints lc rgb isa_color(word(isas, k)) \
         pt isa_point(word(isas, k)) lw 2 title word(isas, k), \
       for [k = 1:last] keyentry with lines lc rgb '#000000' lw 2 title 'measured', \
       for [k = 1:last] keyentry with lines lc rgb '#000000' dt 2 lw 2 title 'declared bound'
}
unset multiplot
