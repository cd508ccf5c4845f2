# The tables of compare.sh's report (markdown), from its run records:
#   kind case impl round status rate secs rss_kb n noisy
# kind is "run" (the case) or "base" (idle_actors with n=0, the baseline);
# status is ok, n/a, INVALID or FAILED; noisy is 1 if other processes used
# more than 5 % of a core during the run. Variables: impls, cases
# (space-separated, in display order).

# The median of a space-separated list of numbers ("" if it is empty).
function median(list, a, k, i, j, t, m) {
  k = split(list, a, " ")
  if (k == 0) return ""
  for (i = 2; i <= k; i++) {  # insertion sort: mawk has no asort
    t = a[i] + 0
    for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]
    a[j + 1] = t
  }
  m = int((k + 1) / 2)
  return (k % 2) ? a[m] + 0 : (a[m] + a[m + 1]) / 2
}

# 12345678 -> 12,345,678
function commas(x, s, neg, out) {
  s = sprintf("%.0f", x)
  neg = (substr(s, 1, 1) == "-")
  if (neg) s = substr(s, 2)
  out = ""
  while (length(s) > 3) {
    out = "," substr(s, length(s) - 2) out
    s = substr(s, 1, length(s) - 3)
  }
  return (neg ? "-" : "") s out
}

# The median over rounds of value(a) / value(b), rounds where both are ok.
function pair_ratio(values, ka, kb, r, list) {
  list = ""
  for (r = 1; r <= max_round; r++) {
    if (((ka, r) in values) && ((kb, r) in values) && values[kb, r] > 0) {
      list = list " " (values[ka, r] / values[kb, r])
    }
  }
  return list == "" ? "-" : sprintf("%.2f", median(list))
}

{
  key = $1 SUBSEP $2 SUBSEP $3
  total[key]++
  if ($10 == 1) noisy[key]++
  if ($4 + 0 > max_round) max_round = $4 + 0
  if ($5 == "ok") {
    ok[key]++
    rates[key] = rates[key] " " $6
    secs[key] = secs[key] " " $7
    rss[key] = rss[key] " " $8
    n[key] = $9
    rate_at[key, $4] = $6
    rss_at[key, $4] = $8
  } else {
    bad[key] = $5
  }
}

END {
  ni = split(impls, impl, " ")
  nc = split(cases, cs, " ")
  print "Per case: medians over the rounds. troupe/impl rate is the median over"
  print "rounds of Troupe's rate divided by that implementation's rate in the"
  print "same round (above 1: Troupe is faster); troupe/impl rss is the same for"
  print "peak RSS (below 1: Troupe uses less memory). \"noisy\" counts the runs"
  print "kept although other processes used more than 5 % of a core meanwhile."
  for (c = 1; c <= nc; c++) {
    name = cs[c]
    tk = "run" SUBSEP name SUBSEP "troupe"
    print ""
    print "## " name
    print ""
    print "| impl | n | runs ok | noisy | median rate (units/s) | median secs | median rss_kb | troupe/impl rate | troupe/impl rss |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= ni; i++) {
      key = "run" SUBSEP name SUBSEP impl[i]
      if (!(key in total)) continue
      runs = (ok[key] + 0) " of " total[key] (key in bad ? " (" bad[key] ")" : "")
      if (ok[key] == 0) {
        printf "| %s | - | %s | %d | %s | - | - | - | - |\n", impl[i], runs, noisy[key], bad[key]
        continue
      }
      is_troupe = (impl[i] == "troupe")
      printf "| %s | %s | %s | %d | %s | %.3f | %s | %s | %s |\n", impl[i], commas(n[key]), runs,
             noisy[key], commas(median(rates[key])), median(secs[key]), commas(median(rss[key])),
             is_troupe ? "-" : pair_ratio(rate_at, tk, key),
             is_troupe ? "-" : pair_ratio(rss_at, tk, key)
    }
    if (name != "idle_actors") continue
    print ""
    print "Bytes per idle actor = (median rss_kb - median rss_kb with n=0) * 1024 / n:"
    print ""
    print "| impl | median rss_kb | baseline rss_kb (n=0) | bytes per idle actor | troupe/impl |"
    print "|---|---:|---:|---:|---:|"
    troupe_bytes = ""
    for (i = 1; i <= ni; i++) {
      key = "run" SUBSEP name SUBSEP impl[i]
      base = "base" SUBSEP name SUBSEP impl[i]
      if (!(key in total)) continue
      if (ok[key] == 0 || ok[base] == 0 || n[key] == 0) {
        printf "| %s | - | - | n/a | - |\n", impl[i]
        continue
      }
      mr = median(rss[key])
      mb = median(rss[base])
      bytes = (mr - mb) * 1024 / n[key]
      if (impl[i] == "troupe") troupe_bytes = bytes
      ratio = (impl[i] == "troupe" || troupe_bytes == "" || bytes <= 0) ? "-" : sprintf("%.2f", troupe_bytes / bytes)
      printf "| %s | %s | %s | %s | %s |\n", impl[i], commas(mr), commas(mb), commas(bytes), ratio
    }
  }
}
