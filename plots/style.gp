# The look every figure shares. A figure script is run as
#   gnuplot -e "fmt='png'; tables='DIR'; out='FILE'; <its own variables>" plots/<figure>.gp
# fmt: svg or png (pngcairo: Debian's gnuplot-nox has cairo, so PNGs are
# antialiased like the SVGs); size: the width x height in pixels the README
# and REPORT.md show the figure at.
if (!exists("size")) size = "1200,560"
if (fmt eq "svg") {
  eval "set terminal svg size ".size." dynamic enhanced font 'DejaVu Sans,13' background '#ffffff'"
} else {
  eval "set terminal pngcairo size ".size." enhanced font 'DejaVu Sans,13' background '#ffffff'"
}
set output out

set grid xtics ytics mxtics mytics lc rgb '#dddddd' lw 1, lc rgb '#f0f0f0' lw 1
set border 3 lc rgb '#444444'
set tics nomirror out
set key outside right top vertical Left reverse noenhanced samplen 2.5 spacing 1.1 box lc rgb '#cccccc'
set datafile missing 'NaN'

# A kernel is algo/isa: colour by algorithm, line and point type by ISA.
algo_of(s) = strstrt(s, "/") ? s[1:strstrt(s, "/") - 1] : s
isa_of(s) = strstrt(s, "/") ? s[strstrt(s, "/") + 1:] : ""
algo_rgb(a) = a eq "naive" ? 0x7f7f7f : a eq "twopass" ? 0x1f77b4 : a eq "welford" ? 0x2ca02c : \
              a eq "fast" ? 0xd62728 : a eq "accurate" ? 0x9467bd : a eq "external" ? 0xff7f0e : 0
algo_color(a) = sprintf("#%06x", algo_rgb(a))
# the colour c (0xrrggbb) taken a fraction f of the way to white: the
# interquartile bars, light enough not to hide the lines they sit on
tint(c, f) = (int(((c >> 16) & 255) + (255 - ((c >> 16) & 255)) * f) << 16) + \
             (int(((c >> 8) & 255) + (255 - ((c >> 8) & 255)) * f) << 8) + int((c & 255) + (255 - (c & 255)) * f)
algo_light(a) = sprintf("#%06x", tint(algo_rgb(a), 0.55))
isa_dash(i) = i eq "scalar" ? 3 : i eq "avx2" || i eq "neon" ? 2 : 1
# the peers: oneDNN a filled pentagon, PyTorch a filled diamond (each its
# own colour where colour means ISA); avx512bf16 a filled square
isa_point(i) = i eq "scalar" ? 6 : i eq "avx2" || i eq "neon" ? 8 : i eq "avx512" || i eq "neonbf16" ? 7 : \
               i eq "torch" ? 13 : i eq "onednn" ? 15 : 5
# figures with a line per algorithm: a circle, or each peer its own marker
# (its line is external/<library>)
line_point(s) = isa_of(s) eq "" ? 7 : isa_point(isa_of(s))
# and its colour: the algorithm's, each peer its library's (isa_color)
line_color(s) = isa_of(s) eq "" ? algo_color(s) : isa_color(isa_of(s))
# roofline probes: black/grey reference lines, each its own dash pattern
# (copy solid, read long dashes, non-temporal copy dots), none of them the
# kernels' ISA dashes
probe_color(p) = p eq "copy" ? "#000000" : p eq "read" ? "#505050" : "#909090"
probe_dash(p) = p eq "copy" ? 1 : p eq "read" ? "__ " : ". "

# D axis: powers of two, labelled every 4x (throughput: D >= 64) or 16x
# (the accuracy sweep's D from 1)
set logscale x 2
tics_d4 = 'set xtics ("64" 64, "256" 256, "1k" 1024, "4k" 4096, "16k" 16384, "64k" 65536)'
tics_d16 = 'set xtics ("1" 1, "16" 16, "256" 256, "4k" 4096, "64k" 65536)'
isa_color(i) = i eq "scalar" ? "#7f7f7f" : i eq "avx2" || i eq "neon" ? "#1f77b4" : \
               i eq "avx512" || i eq "neonbf16" ? "#d62728" : i eq "avx512bf16" ? "#e377c2" : \
               i eq "torch" ? "#8c564b" : "#ff7f0e"
# the i-th word of a list, i a number or a numeric string
nth(list, i) = word(list, i + 0)
# the k-th number of a list of block positions ("1 4 7"). Plot loops run
# `for [k = 1:words(list)]`, not `for [s in list]`: gnuplot runs the latter
# once, with s = '', on an empty list; and it evaluates a plot element's
# options even for an empty range, so pos() gives 1 past the end.
pos(list, k) = k <= words(list) ? word(list, k) + 0 : 1
# A legend panel of its own (right of the figures, never over data): an
# empty plot in the screen box x0..x1, y0..y1 whose key lists the figure's
# keyentry lines. Usage: `@legend_panel; plot <keyentries>, @legend_end`.
legend_panel = 'unset title; unset border; unset tics; unset grid; unset label; unset logscale; ' . \
               'set xrange [0:1]; set yrange [0:1]; set lmargin at screen lx0; set rmargin at screen lx1; ' . \
               'set tmargin at screen ly1; set bmargin at screen ly0; unset xlabel; unset ylabel; ' . \
               'set key inside left top vertical Left reverse noenhanced maxrows 100 samplen 2.5 spacing 1.05 nobox'
# a line above the panel's y range: a plot needs one, the key does not show it
legend_end = '2 with lines lc rgb "#ffffff" notitle'

# a little room at both ends, so the first and last D keep their tic labels
set offsets graph 0.03, graph 0.03, 0, 0
