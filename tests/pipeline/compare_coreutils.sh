#!/bin/sh
# End-to-end check of troupe-wordfreq against the coreutils pipeline that
# defines the expected output:
#
#   cat FILES | tr -cs 'A-Za-z' '\n' | tr 'A-Z' 'a-z' | grep -v '^$' \
#     | sort | uniq -c | sort -k1,1nr -k2,2 | head -K
#
# with the leading spaces of `uniq -c` stripped, all in the C locale.
#
# usage: compare_coreutils.sh CASE WORDFREQ CORPUS-GENERATOR WORK-DIR
# CASE is one of: corpus licenses stdin errors binary boundaries usage.
# Exits 0 if every comparison holds, 1 otherwise, 77 if the case cannot
# run on this machine.
set -eu
export LC_ALL=C

case_name=$1
wordfreq=$2
generate=$3
work=$4
rm -rf "$work"
mkdir -p "$work"
cd "$work"

failures=0

# reference K FILE...: the expected output (K = 0: every word).
reference() {
  k=$1
  shift
  cat "$@" | tr -cs 'A-Za-z' '\n' | tr 'A-Z' 'a-z' | grep -v '^$' | sort | uniq -c \
    | sort -k1,1nr -k2,2 | sed 's/^ *//' > ref.all || true
  if [ "$k" -eq 0 ]; then cat ref.all; else head -n "$k" ref.all; fi
  rm -f ref.all
}

# same LABEL EXPECTED-FILE ACTUAL-FILE
same() {
  if cmp -s "$2" "$3"; then
    echo "ok   $1 ($(wc -l < "$2") lines)"
  else
    echo "FAIL $1"
    diff "$2" "$3" | head -n 20
    failures=$((failures + 1))
  fi
}

# expect_status LABEL EXPECTED ACTUAL
expect_status() {
  if [ "$2" -eq "$3" ]; then
    echo "ok   $1: exit status $3"
  else
    echo "FAIL $1: exit status $3, expected $2"
    failures=$((failures + 1))
  fi
}

# expect_in LABEL TEXT FILE: FILE mentions TEXT.
expect_in() {
  if grep -qF -- "$2" "$3"; then
    echo "ok   $1"
  else
    echo "FAIL $1: '$2' not in:"
    cat "$3"
    failures=$((failures + 1))
  fi
}

# compare LABEL K "OPTIONS" FILE...: troupe-wordfreq --top K OPTIONS FILE...
# against the reference for FILE..., and a zero exit status.
compare() {
  label=$1
  k=$2
  options=$3
  shift 3
  reference "$k" "$@" > expected
  status=0
  # shellcheck disable=SC2086 # OPTIONS is a list of words
  "$wordfreq" --top "$k" $options "$@" > actual 2> errors || status=$?
  same "$label" expected actual
  expect_status "$label" 0 "$status"
}

# The reference concatenates its files (cat), troupe-wordfreq ends a word
# at the end of each file: the same only if no file but the last ends in
# the middle of a word. Checked, so that no comparison is vacuous.
ends_lines() {
  for f in "$@"; do
    [ -s "$f" ] || continue
    if [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then return 1; fi
  done
}

case "$case_name" in
  corpus)
    "$generate" --bytes 2M --seed 2 > text.txt
    "$generate" --bytes 3M --seed 1 --mixed > mixed.txt  # no final newline: last
    ends_lines text.txt
    compare "generated corpus, default top" 10 "" text.txt mixed.txt
    compare "generated corpus, every word, 1 worker 1 shard" 0 "--workers 1 --shards 1" \
      text.txt mixed.txt
    compare "generated corpus, top 50, 3 workers 5 shards, 1 KB chunks" 50 \
      "--workers 3 --shards 5 --chunk-size 1000" text.txt mixed.txt
    compare "mixed corpus, every word, 100-byte chunks" 0 "--chunk-size 100" mixed.txt
    ;;
  licenses)
    dir=/usr/share/common-licenses
    files=""
    for name in GPL-3 Apache-2.0 Artistic LGPL-2.1 MPL-2.0 GFDL-1.3 BSD CC0-1.0; do
      [ -f "$dir/$name" ] && files="$files $dir/$name"
    done
    if [ -z "$files" ]; then
      echo "no files under $dir"
      exit 77
    fi
    # shellcheck disable=SC2086 # a list of paths without spaces
    ends_lines $files
    # shellcheck disable=SC2086
    compare "common licenses, top 25" 25 "" $files
    # shellcheck disable=SC2086
    compare "common licenses, every word, 2 workers 3 shards" 0 "--workers 2 --shards 3" $files
    ;;
  stdin)
    "$generate" --bytes 1M --seed 3 > a.txt
    "$generate" --bytes 1M --seed 4 --mixed > b.txt
    ends_lines a.txt
    reference 0 a.txt b.txt > expected
    cat a.txt b.txt | "$wordfreq" --top 0 > actual
    same "standard input, no file argument" expected actual
    "$wordfreq" --top 0 a.txt - < b.txt > actual
    same "a file, then '-'" expected actual
    ;;
  errors)
    "$generate" --bytes 500K --seed 5 > a.txt
    "$generate" --bytes 500K --seed 6 > b.txt
    mkdir a-directory
    reference 0 a.txt b.txt > expected
    status=0
    "$wordfreq" --top 0 a.txt missing-file.txt a-directory b.txt > actual 2> errors || status=$?
    same "the readable files are still counted" expected actual
    expect_status "unreadable inputs" 1 "$status"
    expect_in "the missing file is named" "missing-file.txt: No such file or directory" errors
    expect_in "the directory is named" "a-directory: Is a directory" errors
    ;;
  binary)
    compare "/bin/ls" 0 "" /bin/ls
    compare "troupe-wordfreq itself" 40 "--chunk-size 4096" "$wordfreq"
    # Every byte value, NUL included, many times over.
    i=0
    : > bytes.bin
    while [ $i -lt 256 ]; do
      printf "$(printf '\\%03o' $i)" >> bytes.bin
      i=$((i + 1))
    done
    cat bytes.bin bytes.bin bytes.bin bytes.bin > all-bytes.bin
    compare "all 256 byte values" 0 "" all-bytes.bin
    ;;
  boundaries)
    # A file's end ends a word (unlike `cat a b`, which would glue them).
    printf 'foo' > no-newline.txt
    printf 'bar\n' > next.txt
    printf '1 bar\n1 foo\n' > expected
    "$wordfreq" no-newline.txt next.txt > actual
    same "the end of a file ends a word" expected actual
    : > empty.txt
    "$wordfreq" empty.txt > actual
    same "an empty file" /dev/null actual
    printf '\n\n123 456\n' > no-words.txt
    "$wordfreq" no-words.txt > actual
    same "a file without words" /dev/null actual
    ;;
  usage)
    status=0
    "$wordfreq" --frobnicate > actual 2> errors || status=$?
    expect_status "an unknown option" 2 "$status"
    expect_in "the usage is shown" "usage:" errors
    same "nothing on stdout" /dev/null actual
    status=0
    "$wordfreq" --top many > actual 2> errors || status=$?
    expect_status "a bad number" 2 "$status"
    expect_in "the value is named" "many" errors
    "$wordfreq" --help > actual
    expect_in "--help prints the usage on stdout" "usage:" actual
    ;;
  *)
    echo "unknown case: $case_name"
    exit 2
    ;;
esac

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
