# nnlab.gp: the shared gnuplot style of every nnlab figure.
#
# Every figure script loads this file first.  Choose the output format with
#   gnuplot -e "nn_format='pdf'" plots/NN-topic/NAME.gp
# png (default), pdf, svg, or tex (cairolatex, standalone: NAME.tex is a small
# LaTeX document holding the labels, NAME-inc.pdf the graphics; run pdflatex
# on NAME.tex for a PDF whose text is typeset by LaTeX).  A script then says
#   set output 'plots/NN-topic/NAME.'.nn_ext

if (!exists("nn_format")) nn_format = "png"
if (!exists("nn_width")) nn_width = 800
if (!exists("nn_height")) nn_height = 560

if (nn_format eq "png") {
    set terminal pngcairo size nn_width, nn_height enhanced font "DejaVu Sans,11" linewidth 1.2
    nn_ext = "png"
} else {
if (nn_format eq "pdf") {
    set terminal pdfcairo size nn_width/100.0, nn_height/100.0 enhanced font "DejaVu Sans,10"
    nn_ext = "pdf"
} else {
if (nn_format eq "svg") {
    set terminal svg size nn_width, nn_height enhanced font "DejaVu Sans,11" dynamic
    nn_ext = "svg"
} else {
if (nn_format eq "tex") {
    # Standalone, so the graphics go to NAME-inc.pdf and never overwrite the
    # pdf format's NAME.pdf (without it cairolatex writes NAME.pdf).
    set terminal cairolatex pdf size nn_width/160.0, nn_height/160.0 standalone
    nn_ext = "tex"
} else {
    print "nnlab.gp: unknown nn_format '".nn_format."': use png, pdf, svg or tex"
    exit status 2
}}}}

# Line styles 1-8: a colour-blind-safe qualitative palette (Okabe-Ito, with
# its yellow, unreadable as a line on white, replaced by Tol's wine).
set style line 1 lc rgb "#0072B2" lw 2 pt 7 ps 0.8
set style line 2 lc rgb "#D55E00" lw 2 pt 5 ps 0.8
set style line 3 lc rgb "#009E73" lw 2 pt 9 ps 0.8
set style line 4 lc rgb "#CC79A7" lw 2 pt 11 ps 0.8
set style line 5 lc rgb "#E69F00" lw 2 pt 13 ps 0.8
set style line 6 lc rgb "#56B4E9" lw 2 pt 3 ps 0.8
set style line 7 lc rgb "#882255" lw 2 pt 1 ps 0.8
set style line 8 lc rgb "#000000" lw 2 pt 2 ps 0.8
set style increment user

# Colours of the two classes in binary problems (class 0, class 1).
nn_class0 = 0x0072B2
nn_class1 = 0xD55E00

# Palettes.  Diverging, centred at zero: call it, then
# `set cbrange [-m:m]` with m the largest |value| (written by the C side).
nn_palette_diverging = "set palette defined (0 '#2166AC', 0.25 '#92C5DE', 0.5 '#F7F7F7', 0.75 '#F4A582', 1 '#B2182B')"
nn_palette_sequential = "set palette defined (0 '#FFFFFF', 0.5 '#6BAED6', 1 '#08306B')"
nn_palette_gray = "set palette gray"
@nn_palette_sequential

set grid lc rgb "#DDDDDD" lw 1
set border lc rgb "#444444"
# No box around the key: with every curve `notitle` (a heatmap) gnuplot would
# still draw an empty box as a stray line in the corner; opaque keeps the
# key readable over the curves.
set key noenhanced nobox opaque
set tics nomirror

# Text that survives every format.  In the tex format every label is typeset
# by LaTeX, where _ and ^ outside math mode are errors, so scripts say
#   set format y nn_pow10                      tick labels 10^n on a log axis
#   plot ... title nn_text('train_loss')       a name with underscores
nn_pow10 = (nn_format eq "tex") ? '$10^{%L}$' : '10^{%L}'
nn_text(s) = (nn_format ne "tex" || strstrt(s, "_") == 0) ? s : \
    s[1:strstrt(s, "_") - 1] . '\_' . nn_text(s[strstrt(s, "_") + 1:])
