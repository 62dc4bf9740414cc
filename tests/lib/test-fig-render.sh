#!/bin/sh
# test-fig-render.sh: the figure writer (lib/nn_fig.h) and the shared style
# (plots/nnlab.gp), through tests/lib/fig-demo, which writes three figures:
# a log-scale loss curve from two data files, a heatmap, and a wide canvas of
# two panels.  We check the data files and scripts; when configure found
# gnuplot ($GNUPLOT) we render each in every format the kit offers (png, svg,
# pdf, tex, texinc) the way `make figures` does: cd OUT && gnuplot -e
# "nn_format='F'" plots/NN/x.gp, and with the slide preset.  When pdflatex
# is installed, a LaTeX document includes a texinc figure.  Bad --out
# directories must give a message naming the directory and exit 1.  Prints
# TAP itself.

builddir=${top_builddir:-.}
srcdir_top=${top_srcdir:-.}
demo=$builddir/tests/lib/fig-demo
work=$(cd "$builddir" && pwd)/tests/lib/test-fig-render.tmp.$$
trap 'rm -rf "$work"' EXIT
mkdir -p "$work" || { echo "Bail out! cannot create $work"; exit 1; }
if [ ! -x "$demo" ]; then
    echo "Bail out! $demo is not built (run make check, which builds it)"
    exit 1
fi
out=$work/out
figs=$out/plots/99-figtest

echo "1..57"
n=0
failed=0
check () { # check STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=1
        if [ -s "$work/err" ]; then sed 's/^/#   stderr| /' "$work/err"; fi
    fi
}
skip () { n=$((n + 1)); echo "ok $n - $2 # SKIP $1"; }

"$demo" --out "$out" --quiet >"$work/stdout" 2>"$work/err"
check $? "fig-demo --out DIR exits 0"
[ ! -s "$work/stdout" ]; check $? "--quiet: nothing on stdout"
for f in curve.gp curve-train.dat curve-test.dat heatmap.gp heatmap.dat panels.gp panels.dat; do
    [ -s "$figs/$f" ]; check $? "wrote plots/99-figtest/$f"
done
cmp -s "$out/plots/nnlab.gp" "$srcdir_top/plots/nnlab.gp"; check $? "copied the style to OUT/plots/nnlab.gp"

# Data files: a "# columns" header, then the rows.
[ "$(sed -n 1p "$figs/curve-train.dat")" = "# epoch loss" ]; check $? "curve-train.dat starts with '# epoch loss'"
[ "$(grep -c -v '^#' "$figs/curve-train.dat")" -eq 20 ]; check $? "curve-train.dat holds 20 rows"
awk '!/^#/ && NF != 2 { bad = 1 } END { exit bad }' "$figs/curve-test.dat"; check $? "curve-test.dat rows have 2 columns"
[ "$(sed -n 1p "$figs/heatmap.dat")" = "# matrix 6 rows x 8 columns" ]; check $? "heatmap.dat starts with its header"
awk '!/^#/ { rows++; if (NF != 8) bad = 1 } END { exit bad || rows != 6 }' "$figs/heatmap.dat"
check $? "heatmap.dat is a 6 x 8 matrix (nn_fig_write_matrix)"
[ "$(sed -n 2p "$figs/heatmap.dat")" = "-0.875 -0.625 -0.375 -0.125 0.125 0.375 0.625 0.875" ]
check $? "heatmap.dat first row holds the values (c - 3.5)/4"

# Scripts: load the style, name the output, plot the data, close the output.
grep -x "load 'plots/nnlab.gp'" "$figs/curve.gp" >/dev/null; check $? "curve.gp loads the style relative to OUT"
grep -x "nn_dir = 'plots/99-figtest'; nn_name = 'curve'" "$figs/curve.gp" >/dev/null &&
    grep -x "@nn_output" "$figs/curve.gp" >/dev/null
check $? "curve.gp names its output (nn_dir, nn_name, then the style's nn_output)"
grep -F "plot 'plots/99-figtest/curve-train.dat'" "$figs/curve.gp" >/dev/null &&
    grep -F "'plots/99-figtest/curve-test.dat'" "$figs/curve.gp" >/dev/null
check $? "curve.gp plots both data files in one command"
[ "$(tail -n 1 "$figs/curve.gp")" = "unset output" ]; check $? "curve.gp ends with 'unset output' (the file is complete)"
grep -x "set cbrange \[-5.25:5.25\]" "$figs/heatmap.gp" >/dev/null
check $? "heatmap.gp holds the symmetric colour range max|m| = 5.25 written by the C side"
awk '/^nn_width = 1200$/ { w = NR } /^nn_height = 400$/ { h = NR } /^load / { l = NR }
     END { exit !(w && h && w < l && h < l) }' "$figs/panels.gp"
check $? "panels.gp sets its canvas (1200 x 400) before loading the style"

# Rendering.
magic () { # magic FILE: the first bytes, as text
    od -An -c -N 4 "$1" | tr -d ' \n'
}
if [ -n "$GNUPLOT" ] && [ -x "$GNUPLOT" ]; then
    for format in png svg pdf tex texinc; do
        for fig in curve heatmap panels; do
            (cd "$out" && "$GNUPLOT" -e "nn_format='$format'" "plots/99-figtest/$fig.gp") 2>"$work/err"
            status=$?
            file=$figs/$fig.$format
            case $format in
                png) good=$(magic "$file" | grep -c 'PNG') ;;
                svg) good=$(grep -c '<svg' "$file" 2>/dev/null) ;;
                pdf) good=$(magic "$file" | grep -c '%PDF') ;;
                tex) good=$(grep -c 'begin{picture}' "$file" 2>/dev/null)
                     [ -s "$figs/$fig-inc.pdf" ] || good=0 ;;
                texinc) file=$figs/$fig-slide.tex
                     good=$(grep -c 'begin{picture}' "$file" 2>/dev/null)
                     [ -s "$figs/$fig-slide.pdf" ] || good=0 ;;
            esac
            [ $status -eq 0 ] && [ ! -s "$work/err" ] && [ -s "$file" ] && [ "${good:-0}" -gt 0 ]
            check $? "gnuplot renders $fig as $format without a warning"
        done
    done
    # PNG header: width and height, big-endian, at bytes 16-23.
    size=$(od -An -tu1 -j 16 -N 8 "$figs/panels.png" | awk '{ printf "%d x %d", $3 * 256 + $4, $7 * 256 + $8 }')
    [ "$size" = "1200 x 400" ]; check $? "panels.png is 1200 x 400 pixels (got $size)"
    grep -F 'train\_loss' "$figs/curve.tex" >/dev/null && ! grep -F 'train_loss' "$figs/curve.tex" >/dev/null
    check $? "tex: nn_text escapes the underscore for LaTeX"
    grep -F '$10^{-1}$' "$figs/curve.tex" >/dev/null; check $? "tex: nn_pow10 puts 10^n tick labels in math mode"
    (cd "$out" && "$GNUPLOT" -e "nn_format='bmp'" plots/99-figtest/curve.gp) >/dev/null 2>"$work/err"
    [ $? -ne 0 ] && grep -F "unknown nn_format 'bmp': use png, pdf, svg, tex or texinc" "$work/err" >/dev/null
    check $? "an unknown nn_format stops gnuplot with a message listing the formats"

    # The includable tex: no document around it, the graphics named without
    # a directory (so \graphicspath or \import finds them from anywhere), and
    # nothing written outside plots/99-figtest.
    ! grep -q 'documentclass' "$figs/curve-slide.tex" && grep -F '{curve-slide}' "$figs/curve-slide.tex" >/dev/null &&
        ! grep -F 'plots/99-figtest/curve-slide' "$figs/curve-slide.tex" >/dev/null
    check $? "texinc: a picture without a document, naming its graphics curve-slide without a directory"
    [ ! -e "$out/curve-slide.tex" ] && [ ! -e "$out/plots/curve-slide.tex" ]
    check $? "texinc: writes into plots/99-figtest only"
    # '|' is a dash in LaTeX's default OT1 encoding: the standalone document
    # asks for T1, the includable picture typesets '|' as \textbar.
    grep -F '\usepackage[T1]{fontenc}' "$figs/heatmap.tex" >/dev/null
    check $? "tex: the standalone document uses the T1 encoding, in which '|' is a bar"
    grep -F '\catcode`\|=\active' "$figs/heatmap-slide.tex" >/dev/null &&
        grep -F '\textbar' "$figs/heatmap-slide.tex" >/dev/null && grep -F '|m|' "$figs/heatmap-slide.tex" >/dev/null
    check $? "texinc: the picture typesets the bars of its label |m| as \\textbar"

    # The slide preset: text and lines scaled so that the figure, shown at a
    # slide's width (12 cm), reads at 10 pt; the tex picture is 12 cm wide.
    (cd "$out" && "$GNUPLOT" -e "nn_preset='slide'" plots/99-figtest/panels.gp) 2>"$work/err"
    [ $? -eq 0 ] && [ ! -s "$work/err" ]
    check $? "gnuplot renders panels with nn_preset='slide' without a warning"
    size=$(od -An -tu1 -j 16 -N 8 "$figs/panels.png" | awk '{ printf "%d x %d", $3 * 256 + $4, $7 * 256 + $8 }')
    [ "$size" = "1200 x 750" ]; check $? "slide preset: the wide 1200 x 400 canvas becomes 1200 x 750, aspect 1.6 (got $size)"
    font=$(cd "$out" && "$GNUPLOT" -e "nn_preset='slide'; load 'plots/nnlab.gp'; set print '-'; print nn_font_png, nn_lw" 2>&1)
    [ "$font" = "17.6 1.92" ]
    check $? "slide preset: text and lines 1.6 times the screen's 11 pt and 1.2 (got $font)"
    (cd "$out" && "$GNUPLOT" -e "nn_format='texinc'; nn_preset='slide'" plots/99-figtest/panels.gp) 2>"$work/err"
    [ $? -eq 0 ] && [ ! -s "$work/err" ] && grep -F 'width={340.' "$figs/panels-slide.tex" >/dev/null
    check $? "slide preset with texinc: the picture is 12 cm (340 bp) wide"
    (cd "$out" && "$GNUPLOT" -e "nn_preset='poster'" plots/99-figtest/curve.gp) >/dev/null 2>"$work/err"
    [ $? -ne 0 ] && grep -F "unknown nn_preset 'poster': use screen or slide" "$work/err" >/dev/null
    check $? "an unknown nn_preset stops gnuplot with a message listing the presets"

    # A document in another directory includes a figure (beamer when it is
    # installed with its pgf; the article class otherwise: \input and
    # \graphicspath work the same in both).
    class=article
    kpsewhich beamer.cls >/dev/null 2>&1 && kpsewhich pgfcore.sty >/dev/null 2>&1 && class=beamer
    if command -v pdflatex >/dev/null 2>&1; then
        mkdir -p "$work/talk"
        {
            echo "\\documentclass{$class}"
            echo '\usepackage{graphicx,color}'
            echo "\\graphicspath{{$figs/}}"
            echo '\begin{document}'
            [ $class = beamer ] && echo '\begin{frame}{A figure from nnlab}'
            echo "\\input{$figs/heatmap-slide.tex}"
            [ $class = beamer ] && echo '\end{frame}'
            echo '\end{document}'
        } >"$work/talk/talk.tex"
        (cd "$work/talk" && pdflatex -interaction=nonstopmode -halt-on-error talk.tex) >"$work/latex.log" 2>&1
        status=$?
        [ $status -eq 0 ] && [ -s "$work/talk/talk.pdf" ] && ! grep -q 'not found' "$work/talk/talk.log"
        check $? "pdflatex: a $class document elsewhere inputs the texinc figure, its graphics found through \\graphicspath"
        [ $status -eq 0 ] || tail -n 20 "$work/latex.log" | sed 's/^/#   latex| /'
    else
        skip "pdflatex not installed" "a LaTeX document includes the texinc figure"
    fi
else
    for i in $(seq 1 29); do skip "gnuplot not found by configure" "rendering check $i"; done
fi

# Bad output directories: exit 1, the message names the directory.
"$demo" --out /proc/nnlab-test-fig >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -F "cannot create directory /proc/nnlab-test-fig" "$work/err" >/dev/null &&
    grep -F -- "--out DIR" "$work/err" >/dev/null
check $? "--out /proc/...: exit 1, the message names the directory and --out"
: >"$work/file"
"$demo" --out "$work/file/sub" >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -F "cannot create directory $work/file: a file of that name exists" "$work/err" >/dev/null
check $? "--out under a regular file: exit 1, the message names the file in the way"
"$demo" --out "$work/file" >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -F "$work/file: a file of that name exists" "$work/err" >/dev/null
check $? "--out naming a regular file: exit 1, the message names it"
NNLAB_STYLE=$work/no-such-style.gp "$demo" --out "$work/out2" >/dev/null 2>"$work/err"
[ $? -eq 1 ] && grep -F "cannot read the gnuplot style $work/no-such-style.gp" "$work/err" >/dev/null
check $? "a missing style file: exit 1, the message names it and NNLAB_STYLE"

# Relative --out, and writing twice into the same tree.
demo_abs=$(cd "$(dirname "$demo")" && pwd)/fig-demo
(cd "$work" && "$demo_abs" --out rel --quiet)
[ -s "$work/rel/plots/99-figtest/curve.gp" ]; check $? "a relative --out is taken from the working directory"
"$demo" --out "$out" --quiet 2>"$work/err" && [ -s "$figs/curve.gp" ]
check $? "writing into an existing output tree again works"

exit $failed
