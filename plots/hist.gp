# Error histograms of the f32 and bf16 kernels over the whole accuracy
# sweep: the share of outputs in each error bin (hist_0 .. hist_13 of
# accuracy.csv: [0, 0.5), [0.5, 1), [1, 2), ... [2048, inf) ulps), one line
# per algorithm (all its ISAs together). Empty bins are not drawn (the
# line breaks there).
load 'plots/style.gp'
unset logscale x
set logscale y 10
set format y "10^{%L}"
set xrange [-0.5:13.5]
set xtics ("<0.5" 0, "0.5-1" 1, "1-2" 2, "2-4" 3, "4-8" 4, "8-16" 5, "16-32" 6, "32-64" 7, \
           "64-128" 8, "128-256" 9, "256-512" 10, "512-1k" 11, "1k-2k" 12, ">=2k" 13) rotate by -45 font ',10'
set label 1 "error (ulps of the output format; LayerNorm: floored)" at screen 0.46, 0.025 center
set label 2 "share of outputs" at screen 0.015, 0.5 center rotate by 90
set multiplot layout 2, 2 margins 0.07, 0.80, 0.12, 0.87 spacing 0.07, 0.14 \
  title "Error histograms over the whole accuracy sweep, f32 and bf16 kernels: every row, inside and outside each kernel's promised range\n(the 128-256 and >=2k bins: huge, tiny, subnormal and far-scaled rows the non-accurate kernels do not promise)"
set key off
p = 0
all = ' '  # every panel's lines, for the legend
do for [op in 'rmsnorm layernorm'] {
  do for [dt in 'f32 bf16'] {
    p = p + 1
    load tables.'/hist_'.op.'_'.dt.'.gp'
    do for [i = 1:words(names)] { if (!strstrt(all, ' '.word(names, i).' ')) { all = all.word(names, i).' ' } }
    set title (op eq 'rmsnorm' ? 'RMSNorm ' : 'LayerNorm ').dt
    if (p == 2) { unset label 1; unset label 2 }
    plot for [i = 1:words(names)] tables.'/hist_'.op.'_'.dt.'.dat' index (i - 1) using 1:2 with linespoints \
           lc rgb line_color(word(names, i)) pt line_point(word(names, i)) ps 0.8 lw 2 notitle
  }
}
# the legend in a panel of its own, right of the figures, never over data
lx0 = 0.81; lx1 = 0.995; ly0 = 0.12; ly1 = 0.87
@legend_panel
set key font ',11'
plot for [i = 1:words(all)] keyentry with linespoints lc rgb line_color(word(all, i)) \
       pt line_point(word(all, i)) ps 0.8 lw 2 title word(all, i), \
     @legend_end
unset multiplot
