# nnlab.gp: the shared gnuplot style of every nnlab figure.
#
# Every figure script loads this file first.  Choose the output format with
#   gnuplot -e "nn_format='pdf'" plots/NN-topic/NAME.gp
#   png     (default) NAME.png
#   pdf     NAME.pdf
#   svg     NAME.svg
#   tex     cairolatex, standalone: NAME.tex is a small LaTeX document holding
#           the labels, NAME-inc.pdf the graphics; pdflatex NAME.tex makes a
#           PDF whose text is typeset by LaTeX
#   texinc  cairolatex for inclusion in a document (beamer slides, a paper):
#           NAME-slide.tex holds the labels and NAME-slide.pdf the graphics,
#           both in plots/NN-topic/.  The .tex names the graphics without a
#           directory, so from any document either
#               \usepackage{import}  ...  \import{PATH/plots/NN-topic/}{NAME-slide.tex}
#           or
#               \graphicspath{{PATH/plots/NN-topic/}}  ...  \input{PATH/plots/NN-topic/NAME-slide.tex}
#           works (the document needs \usepackage{graphicx,color}).  Its text
#           is set in the document's font at the document's size.
# and the size preset with nn_preset:
#   screen  (default) the canvas sizes the chapters choose, 11 pt text
#   slide   the figure is meant to fill a slide's width (12 cm, as in a 4:3
#           beamer frame): text and lines 1.6 times larger, wide canvases
#           taller (see below).  With tex and texinc the picture is made
#           12 cm wide and its text is the document's own, at the document's
#           size (beamer's 11 pt): include it at its natural size.
# A script then says (lib/fig.c writes it)
#   nn_dir = 'plots/NN-topic'; nn_name = 'NAME'
#   @nn_output

if (!exists("nn_format")) nn_format = "png"
if (!exists("nn_preset")) nn_preset = "screen"
if (!exists("nn_width")) nn_width = 800
if (!exists("nn_height")) nn_height = 560
if (nn_preset ne "screen" && nn_preset ne "slide") {
    print "nnlab.gp: unknown nn_preset '".nn_preset."': use screen or slide"
    exit status 2
}

# The slide preset.  A slide's text width is 12 cm = 340 pt, and a figure
# that fills it is scaled by 340 / (its canvas width in pt): the screen
# sizes' 11 pt text on an 800-pixel canvas comes out at 4.7 pt, on the wide
# 1100-pixel canvases at 3.4 pt.  The preset sets text and lines 1.6 times
# larger (7.5 pt on a slide for an 800-pixel figure, 5.4 pt for the widest),
# as much as the chapters' layouts hold, and makes wide canvases taller, to
# the aspect 1.6 : 1 of a frame's free area (a 1100 x 480 figure becomes
# 1100 x 688), which gives two side-by-side panels room to breathe.
nn_slide_in = 12 / 2.54
nn_slide_scale = (nn_preset eq "slide") ? 1.6 : 1
if (nn_preset eq "slide" && nn_width > 1.6 * nn_height) nn_height = int(nn_width / 1.6)
nn_font_png = 11 * nn_slide_scale
nn_font_pdf = 10 * nn_slide_scale
nn_lw = 1.2 * nn_slide_scale
nn_font(size) = sprintf("DejaVu Sans,%g", size)

# TeX text: in LaTeX's default OT1 encoding a '|' in text comes out as a
# dash, so '||w||' would read as two em-dashes.  The standalone document
# asks for the T1 encoding, where '|' is a bar; the includable picture, which
# cannot load packages, makes '|' active inside its own group and typesets
# it as \textbar (\vert in math).
nn_tex_bar = '\begingroup\lccode`\~=`\|\lowercase{\endgroup\def~}{\ifmmode\vert\else\textbar\fi}\catcode`\|=\active'

if (nn_format eq "png") {
    set terminal pngcairo size nn_width, nn_height enhanced font nn_font(nn_font_png) linewidth nn_lw
    nn_ext = "png"
} else {
if (nn_format eq "pdf") {
    set terminal pdfcairo size nn_width/100.0, nn_height/100.0 enhanced font nn_font(nn_font_pdf) linewidth nn_lw
    nn_ext = "pdf"
} else {
if (nn_format eq "svg") {
    set terminal svg size nn_width, nn_height enhanced font nn_font(nn_font_png) linewidth nn_lw dynamic
    nn_ext = "svg"
} else {
if (nn_format eq "tex") {
    # Standalone, so the graphics go to NAME-inc.pdf and never overwrite the
    # pdf format's NAME.pdf (without it cairolatex writes NAME.pdf).
    if (nn_preset eq "slide") {
        set terminal cairolatex pdf size nn_slide_in, nn_slide_in * nn_height / nn_width standalone header "\\usepackage[T1]{fontenc}"
    } else {
        set terminal cairolatex pdf size nn_width/160.0, nn_height/160.0 standalone header "\\usepackage[T1]{fontenc}"
    }
    nn_ext = "tex"
} else {
if (nn_format eq "texinc") {
    if (nn_preset eq "slide") {
        set terminal cairolatex pdf size nn_slide_in, nn_slide_in * nn_height / nn_width header nn_tex_bar
    } else {
        set terminal cairolatex pdf size nn_width/160.0, nn_height/160.0 header nn_tex_bar
    }
    nn_ext = "tex"
} else {
    print "nnlab.gp: unknown nn_format '".nn_format."': use png, pdf, svg, tex or texinc"
    exit status 2
}}}}}

# Where the picture goes: nn_output is a macro the script runs with @
# after setting nn_dir and nn_name (lib/fig.c writes the three lines).  For
# every format but texinc, OUT/nn_dir/nn_name.nn_ext.  For texinc the script
# moves into nn_dir, so that cairolatex names its graphics file without a
# directory, and finds its data files (written as plots/NN-topic/...) through
# the load path.
nn_output = "if (nn_format eq 'texinc') { cd nn_dir; set loadpath '../..'; set output nn_name.'-slide.tex' } else { set output nn_dir.'/'.nn_name.'.'.nn_ext }"

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

# Text that survives every format.  In the tex formats every label is typeset
# by LaTeX, where _ and ^ outside math mode are errors, so scripts say
#   set format y nn_pow10                      tick labels 10^n on a log axis
#   plot ... title nn_text('train_loss')       a name with underscores
nn_tex = (nn_format eq "tex" || nn_format eq "texinc")
nn_pow10 = nn_tex ? '$10^{%L}$' : '10^{%L}'
nn_text(s) = (!nn_tex || strstrt(s, "_") == 0) ? s : \
    s[1:strstrt(s, "_") - 1] . '\_' . nn_text(s[strstrt(s, "_") + 1:])
