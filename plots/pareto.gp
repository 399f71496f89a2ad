# Accuracy against speed at D = 4096, cache-resident: one point per kernel
# (colour: algorithm, shape: ISA), the Pareto front (no other kernel both
# faster and at least as accurate) ringed and joined. Panels: op x dtype.
load 'plots/style.gp'
load tables.'/pareto.gp'
unset logscale x
set logscale x 10
set logscale y 10
set format x "%g"
set format y "%g"
# the legend in a column of its own, right of the panels, never over data
set multiplot layout 2, 3 margins 0.095, 0.80, 0.1, 0.9 spacing 0.06, 0.12 \
  title "Accuracy against speed at D = 4096: max error on promised rows against cache-resident throughput"
set label 1 "GB/s at D = 4096, x + y = half of L2 (further right is faster)" at screen 0.46, 0.025 center
set label 2 "max error (ulps of the output format; lower is better)" at screen 0.012, 0.5 center rotate by 90
set offsets graph 0.08, graph 0.08, graph 0.1, graph 0.1
set key off
p = 0
do for [op in 'rmsnorm layernorm'] {
  do for [dt in 'f32 f16 bf16'] {
    p = p + 1
    if (p == 2) { unset label 1; unset label 2 }
    f = tables.'/pareto_'.op.'_'.dt.'.dat'
    set title (op eq 'rmsnorm' ? 'RMSNorm ' : 'LayerNorm ').dt
    plot f index 1 using 2:3 with lines lc rgb '#000000' lw 1.2 dt 2 notitle, \
         f index 1 using 2:3 with points lc rgb '#000000' pt 6 ps 2.6 lw 1.2 notitle, \
         f index 0 using 2:3:(isa_point(isa_of(strcol(1)))):(algo_rgb(algo_of(strcol(1)))) \
           with points pt variable lc rgb variable ps 1.4 lw 2 notitle
  }
}
lx0 = 0.82; lx1 = 0.995; ly0 = 0.1; ly1 = 0.9
@legend_panel
plot for [k = 1:words(algos)] keyentry with points lc rgb algo_color(word(algos, k)) pt 7 ps 1.4 title word(algos, k), \
     for [k = 1:words(isas)] keyentry with points lc rgb '#000000' pt isa_point(word(isas, k)) ps 1.4 lw 2 \
       title word(isas, k), \
     keyentry with linespoints lc rgb '#000000' dt 2 pt 6 ps 2.6 lw 1.2 title 'Pareto front', \
     @legend_end
unset multiplot
