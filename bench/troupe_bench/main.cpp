// troupe-bench: runs one workload of the shared benchmark spec once and
// prints its RESULT line.
//
//   troupe-bench CASE [key=value ...]
//
// Exit status: 0 done and the check matched; 1 the run failed, its check
// did not match or it was invalid (the RESULT line is still printed, for
// the record); 2 usage error; 3 the case is not implemented yet.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "case_table.hpp"
#include "command_line.hpp"
#include "params.hpp"
#include "peak_rss.hpp"
#include "result_line.hpp"

namespace {

using namespace troupe::bench;

constexpr int kFailed = 1;
constexpr int kUsage = 2;
constexpr int kNotImplemented = 3;

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: troupe-bench CASE [key=value ...]\n"
               "Runs one case of the benchmark spec once; prints one RESULT line.\n"
               "Cases, with their keys and defaults:\n");
  for (const auto& c : case_table()) {
    std::string keys;
    for (const auto& k : c.keys) {
      keys += ' ' + std::string(k.name) + '=' + std::to_string(k.fallback);
    }
    std::fprintf(out, "  %-17.*s%s%s\n", static_cast<int>(c.name.size()), c.name.data(),
                 keys.c_str(), c.run ? "" : "  (not implemented yet)");
  }
  std::fprintf(out,
               "Exit status: 0 ok, 1 failed, wrong check or invalid run, 2 usage error, "
               "3 case not implemented yet.\n");
}

int usage_error(const std::string& why) {
  std::fprintf(stderr, "troupe-bench: %s\n", why.c_str());
  print_usage(stderr);
  return kUsage;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && (std::string_view(argv[1]) == "-h" || std::string_view(argv[1]) == "--help")) {
    print_usage(stdout);
    return 0;
  }
  CommandLine cl;
  Params params;
  const CaseInfo* info = nullptr;
  try {
    cl = parse_command_line(argc, argv);
    info = find_case(cl.case_name);
    if (info == nullptr) return usage_error("unknown case '" + cl.case_name + "'");
    params = Params::resolve(info->keys, cl.overrides);
  } catch (const UsageError& e) {
    return usage_error(e.what());
  }
  if (info->run == nullptr) {
    std::fprintf(stderr, "troupe-bench: case %s is not implemented yet\n", cl.case_name.c_str());
    return kNotImplemented;
  }

  Outcome o;
  try {
    o = info->run(params);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "troupe-bench: case %s failed: %s\n", cl.case_name.c_str(), e.what());
    return kFailed;
  }
  print_result_line(stdout, info->name, o, o.rss_kb ? *o.rss_kb : peak_rss_kb());
  int status = 0;
  if (o.invalid) {
    std::fprintf(stderr, "troupe-bench: INVALID RUN: case=%s: %s\n", cl.case_name.c_str(),
                 o.invalid->c_str());
    status = kFailed;
  }
  if (o.check != o.expected) {
    std::fprintf(stderr, "troupe-bench: CHECK FAILED: case=%s check=%llu expected=%llu\n",
                 cl.case_name.c_str(), static_cast<unsigned long long>(o.check),
                 static_cast<unsigned long long>(o.expected));
    status = kFailed;
  }
  return status;
}
