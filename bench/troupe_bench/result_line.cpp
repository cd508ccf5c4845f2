#include "result_line.hpp"

namespace troupe::bench {

void print_result_line(std::FILE* out, std::string_view case_name, const Outcome& o, long rss_kb) {
  const double rate = o.secs > 0 ? static_cast<double>(o.n) / o.secs : 0.0;
  std::fprintf(
      out, "RESULT case=%.*s impl=troupe n=%lld secs=%.6f rate=%.0f check=%llu rss_kb=%ld%s%s\n",
      static_cast<int>(case_name.size()), case_name.data(), static_cast<long long>(o.n), o.secs,
      rate, static_cast<unsigned long long>(o.check), rss_kb, o.extra[0] == '\0' ? "" : " ",
      o.extra.data());
  std::fflush(out);
}

}  // namespace troupe::bench
