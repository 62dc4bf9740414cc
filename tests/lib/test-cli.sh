#!/bin/sh
# test-cli.sh: the shared command line (lib/nn_cli.h) through
# tests/lib/cli-demo, which declares an int, a double, a choice and a flag
# and prints what it parsed.  Good options parse; --help and --version exit 0;
# every bad option exits 2 with a message naming the option and the fix and a
# usage line on stderr, and prints nothing on stdout.  Prints TAP itself.

builddir=${top_builddir:-.}
demo=$builddir/tests/lib/cli-demo
work=$builddir/tests/lib/test-cli.tmp.$$
trap 'rm -rf "$work"' EXIT
mkdir -p "$work" || { echo "Bail out! cannot create $work"; exit 1; }
if [ ! -x "$demo" ]; then
    echo "Bail out! $demo is not built (run make check, which builds it)"
    exit 1
fi
unset NNLAB_DATA

echo "1..63"
n=0
failed=0
check () { # check STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=1
        sed 's/^/#   stdout| /' "$work/out"
        sed 's/^/#   stderr| /' "$work/err"
    fi
}
run () { "$demo" "$@" >"$work/out" 2>"$work/err"; status=$?; }
out_has () { grep -x -F -e "$1" "$work/out" >/dev/null; }
out_contains () { grep -F -e "$1" "$work/out" >/dev/null; }
err_contains () { grep -F -e "$1" "$work/err" >/dev/null; }

# usage_error DESCRIPTION ARGS...: exit 2, nothing on stdout, the usage line
# on stderr; the caller then checks the message.
usage_error () {
    what=$1
    shift
    run "$@"
    [ $status -eq 2 ] && [ ! -s "$work/out" ] && err_contains "usage: cli-demo [options]"
    check $? "$what: exit 2, usage line on stderr, nothing on stdout"
}

run
[ $status -eq 0 ]; check $? "no options: exit 0"
out_has "epochs=20" && out_has "lr=0.10000000000000001" && out_has "activation=relu" && out_has "verbose=0"
check $? "no options: the chapter's defaults"
out_has "seed=42" && out_has "out=." && out_has "quiet=0" && out_has "data=/usr/share/datasets/fashion-mnist"
check $? "no options: the common defaults (seed 42, out ., data from Debian's package)"
out_has "said: not quiet"; check $? "nn_say prints when not --quiet"
[ ! -s "$work/err" ]; check $? "nothing on stderr"

run --epochs 5 --lr 0.25 --activation tanh --verbose --seed 7 --out figs --data /srv/fm --quiet
[ $status -eq 0 ]; check $? "every option set: exit 0"
out_has "epochs=5" && out_has "lr=0.25" && out_has "activation=tanh" && out_has "verbose=1"
check $? "the chapter's options are parsed"
out_has "seed=7" && out_has "out=figs" && out_has "data=/srv/fm" && out_has "quiet=1"
check $? "the common options are parsed"
! out_contains "said:"; check $? "--quiet silences nn_say"

run --epochs=9 --lr=1e-3 --act sigmoid
out_has "epochs=9" && out_has "lr=0.001" && out_has "activation=sigmoid"
check $? "--name=value and unambiguous prefixes (--act) work"

run --epochs 1 --lr 0
out_has "epochs=1" && out_has "lr=0"; check $? "the lower bounds are allowed (inclusive)"
run --epochs 1000 --lr 10
out_has "epochs=1000" && out_has "lr=10"; check $? "the upper bounds are allowed (inclusive)"

NNLAB_DATA=/opt/fashion run
out_has "data=/opt/fashion"; check $? "NNLAB_DATA sets the data directory"
NNLAB_DATA=/opt/fashion run --data /srv/fm
out_has "data=/srv/fm"; check $? "--data overrides NNLAB_DATA"
run --seed 123456789012
out_has "seed=123456789012"; check $? "--seed takes 64-bit values"

run --help
[ $status -eq 0 ] && [ ! -s "$work/err" ]; check $? "--help: exit 0, nothing on stderr"
out_contains "cli-demo: a demonstration of the shared command line"; check $? "--help starts with the summary"
out_contains "--epochs N" && out_contains "training epochs (1..1000, default 20)"
check $? "--help lists --epochs with its range and default"
out_contains "training examples (10..2000000, default 5000)"
check $? "--help prints whole-number ranges in full (2000000, not 2e+06)"
out_contains "--lr RATE" && out_contains "(0..10, default 0.1)"; check $? "--help lists --lr with its range and default"
out_contains "--activation NAME" && out_contains "(one of sigmoid tanh relu; default relu)"
check $? "--help lists --activation with its choices and default"
out_contains "--verbose" && out_contains "print every epoch"; check $? "--help lists the flag"
for opt in "--seed N" "--out DIR" "--data DIR" "--quiet" "--help" "--version"; do
    out_contains "  $opt "; check $? "--help lists the common option $opt"
done

run --version
[ $status -eq 0 ] && grep -x 'cli-demo (nnlab) [0-9][0-9.]*' "$work/out" >/dev/null
check $? "--version prints 'cli-demo (nnlab) VERSION' and exits 0"

usage_error "unknown option" --bogus
err_contains "cli-demo: error: unknown option '--bogus'"; check $? "  the message names the unknown option"
usage_error "unknown short option" -x
err_contains "unknown option '-x'"; check $? "  the message names it"
usage_error "unknown short option inside a cluster" -xv
err_contains "unknown option '-x'"; check $? "  the message names the letter, not the program"
usage_error "a value given to a flag" --verbose=1
err_contains "'--verbose=1' takes no value"; check $? "  the message says the flag takes no value"

usage_error "--epochs -3" --epochs -3
err_contains "--epochs must be between 1 and 1000, got -3"; check $? "  the message names --epochs, the range and the value"
usage_error "--epochs 1001" --epochs 1001
err_contains "between 1 and 1000, got 1001"; check $? "  one past the upper bound is refused"
usage_error "--samples 3000000" --samples 3000000
err_contains "--samples must be between 10 and 2000000, got 3000000"; check $? "  the range is printed in full"
usage_error "--lr 10.5" --lr 10.5
err_contains "--lr must be between 0 and 10, got 10.5"; check $? "  the message names --lr and its range"

usage_error "--epochs abc" --epochs abc
err_contains "--epochs expects a whole number, got 'abc'"; check $? "  the message says a whole number was expected"
usage_error "--epochs 3.5" --epochs 3.5
err_contains "--epochs expects a whole number, got '3.5'"; check $? "  a fraction is not a whole number"
usage_error "--lr 0.1x" --lr 0.1x
err_contains "--lr expects a number, got '0.1x'"; check $? "  trailing junk is refused"
usage_error "--lr nan" --lr nan
err_contains "--lr expects a number, got 'nan'"; check $? "  NaN is refused"

usage_error "unknown choice" --activation softmax
err_contains "unknown value 'softmax' for --activation: choose one of sigmoid, tanh, relu"
check $? "  the message lists the valid choices"

usage_error "missing value" --epochs
err_contains "option --epochs needs a value"; check $? "  the message names the option"

usage_error "stray argument" --epochs 3 stray
err_contains "unexpected argument 'stray'"; check $? "  the message names the argument"

usage_error "empty --out" --out ""
err_contains "--out expects a directory"; check $? "  an empty --out is refused (it would mean /plots)"
usage_error "--seed -1" --seed -1
err_contains "--seed expects a non-negative whole number, got '-1'"; check $? "  the message names --seed"

exit $failed
