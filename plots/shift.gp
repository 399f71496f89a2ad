# LayerNorm error against the mean shift mu/sigma (the shift1 .. shift1e4
# rows, x = mu + N(0,1)) at D = 4096, one line per algorithm (the worst of
# its ISAs), one panel per dtype. Promises stop at mu/sigma = 10 (grey line);
# errors of 0 or without a finite value are named under the panel.
load 'plots/style.gp'
unset logscale x
set logscale x 10
set logscale y 10
set format x "10^{%L}"
set format y "10^{%L}"
set xlabel "mean shift mu/sigma"
set label 1 "max error (floored ulps of the output format)" at screen 0.015, 0.5 center rotate by 90
set multiplot layout 1, 3 margins 0.08, 0.80, 0.3, 0.84 spacing 0.07, 0 \
  title "LayerNorm: max error against the mean shift, D = 4096 (worst ISA of each algorithm)"
set key off
set arrow 1 from 10, graph 0 to 10, graph 1 nohead lc rgb '#aaaaaa' dt 3 lw 1.5
p = 0
all = ' '  # every panel's lines, for the legend
do for [dt in 'f32 f16 bf16'] {
  p = p + 1
  load tables.'/shift_'.dt.'.gp'
  do for [i = 1:words(names)] { if (!strstrt(all, ' '.word(names, i).' ')) { all = all.word(names, i).' ' } }
  set title dt
  if (p == 2) { unset label 1 }
  # under the panels, a line per dtype: the points a log axis cannot draw
  if (strlen(note) > 0) { set label 2 + p dt.': '.note at screen 0.07, 0.1 - 0.035 * (p - 1) left font ',10' noenhanced }
  plot for [i = 1:words(names)] tables.'/shift_'.dt.'.dat' index (i - 1) using 1:2 with linespoints \
         lc rgb line_color(word(names, i)) pt line_point(word(names, i)) ps 0.9 lw 2 notitle
}
# the legend in a panel of its own, right of the figures, never over data
unset arrow 1
lx0 = 0.81; lx1 = 0.995; ly0 = 0.3; ly1 = 0.84
@legend_panel
set key font ',11'
plot for [i = 1:words(all)] keyentry with linespoints lc rgb line_color(word(all, i)) \
       pt line_point(word(all, i)) ps 0.9 lw 2 title word(all, i), \
     @legend_end
unset multiplot
