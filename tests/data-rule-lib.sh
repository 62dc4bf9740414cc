# data-rule-lib.sh: the kit's one rule for Fashion-MNIST, checked on a chapter
# program (sourced after tests/chapter-run-lib.sh, with $prog and $out set):
#
#   --data DIR that does not hold a loadable set     error, exit 1
#   the default location ($NNLAB_DATA) holds none    a note on stderr, also
#     of the set's files                             under --quiet; exit 0
#   the default location holds broken files          error, exit 1
#
# make_fashion DIR N writes a tiny valid set (N blank images per part, plain
# IDX files); break_fashion DIR HOW breaks it: "truncated" cuts both images
# files inside their data, "directory" puts directories in their place.

be32() {
  printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))"
  printf "\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"
}

make_fashion() {
  mkdir -p "$1"
  for part in train t10k; do
    { printf '\000\000\010\003'; be32 "$2"; be32 28; be32 28; head -c $(($2 * 784)) /dev/zero; } \
      > "$1/$part-images-idx3-ubyte"
    { printf '\000\000\010\001'; be32 "$2"; head -c "$2" /dev/zero; } > "$1/$part-labels-idx1-ubyte"
  done
}

break_fashion() {
  for part in train t10k; do
    f="$1/$part-images-idx3-ubyte"
    case $2 in
      truncated) head -c 100 "$f" > "$f.cut" && mv "$f.cut" "$f" ;;
      directory) rm -f "$f" && mkdir "$f" ;;
    esac
  done
}

# check_data_rule ARGS...: the cases above, each run with the chapter's ARGS.
# Set data_rule_cases to a subset of "none-given quiet-note truncated
# directory default-broken" to run fewer (a slow chapter).
check_data_rule() {
  make_fashion "$out/dr-truncated" 3; break_fashion "$out/dr-truncated" truncated
  make_fashion "$out/dr-directory" 3; break_fashion "$out/dr-directory" directory
  for case in ${data_rule_cases:-none-given quiet-note truncated directory default-broken}; do
    case $case in
      none-given)
        "$prog" --out "$out/dr" "$@" --data "$out/dr-none" > /dev/null 2> "$out/dr-err.txt"
        [ $? -eq 1 ] && grep -q "error: .*dr-none" "$out/dr-err.txt"
        check "--data naming a directory without Fashion-MNIST: exit 1, the message names it" $? ;;
      quiet-note)
        NNLAB_DATA="$out/dr-none" "$prog" --out "$out/dr" "$@" --quiet > "$out/dr-out.txt" 2> "$out/dr-err.txt"
        [ $? -eq 0 ] && only_claim_lines "$out/dr-out.txt" && grep -q "note: Fashion-MNIST is not installed: .*dr-none" "$out/dr-err.txt" &&
          grep -q "apt-get install dataset-fashion-mnist" "$out/dr-err.txt"
        check "not installed at the default location: a note on stderr even under --quiet, exit 0" $? ;;
      truncated)
        "$prog" --out "$out/dr" "$@" --data "$out/dr-truncated" > /dev/null 2> "$out/dr-err.txt"
        [ $? -eq 1 ] && grep -q "error: .*dr-truncated/.*truncated" "$out/dr-err.txt"
        check "--data with a truncated images file: exit 1, the message says truncated" $? ;;
      directory)
        "$prog" --out "$out/dr" "$@" --data "$out/dr-directory" > /dev/null 2> "$out/dr-err.txt"
        [ $? -eq 1 ] && grep -q "is a directory, but a data file should be here" "$out/dr-err.txt" &&
          ! grep -q "not installed" "$out/dr-err.txt"
        check "a directory in a data file's place: exit 1, named as a directory (not 'not installed')" $? ;;
      default-broken)
        NNLAB_DATA="$out/dr-truncated" "$prog" --out "$out/dr" "$@" > /dev/null 2> "$out/dr-err.txt"
        [ $? -eq 1 ] && grep -q "error: .*truncated" "$out/dr-err.txt" && ! grep -q "note:" "$out/dr-err.txt"
        check "broken files at the default location: exit 1, no fall-back" $? ;;
    esac
  done
}
