# RMSNorm against LayerNorm: time(LayerNorm) / time(RMSNorm) for the same
# dtype, algorithm, ISA, D and working set; bars are the median over the
# algorithms and row lengths of each ISA (above 1: RMSNorm is faster);
# both panels on one scale.
load 'plots/style.gp'
unset logscale x
unset grid
set grid ytics lc rgb '#dddddd'
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
load tables.'/ratio.gp'
set yrange [0:ymax * 1.1]
set ylabel "t(LayerNorm) / t(RMSNorm), median"
# ISA names side by side ran together ("avx512avx512bf16"): a name longer
# than six letters breaks after the sixth (avx512 / bf16)
set xtics nomirror
isa_tic(s) = strlen(s) > 6 ? s[1:6]."\n".s[7:] : s
set format x "%s"
set key at screen 0.995, 0.84 right top
set multiplot layout 1, 2 margins 0.09, 0.86, 0.2, 0.84 spacing 0.07, 0 \
  title "RMSNorm against LayerNorm: median time ratio per ISA and dtype (same algorithm, D and working set)"
set title "cache-resident (x + y = half of L2)"
plot tables.'/ratio.dat' using 2:xtic(isa_tic(strcol(1))) lc rgb '#1f77b4' title 'f32', \
     '' using 3 lc rgb '#2ca02c' title 'f16', \
     '' using 4 lc rgb '#d62728' title 'bf16', \
     1 with lines lc rgb '#000000' dt 2 lw 1.5 title 'equal speed'
set title "memory-bound (x + y = 4x the LLC)"
set label 1 "no bar: not measured memory-bound (compute-bound; machine.txt)" at graph 0.5, graph -0.25 center font ',10'
unset ylabel
set key off
plot tables.'/ratio.dat' using 5:xtic(isa_tic(strcol(1))) lc rgb '#1f77b4', '' using 6 lc rgb '#2ca02c', \
     '' using 7 lc rgb '#d62728', 1 with lines lc rgb '#000000' dt 2 lw 1.5
unset multiplot
