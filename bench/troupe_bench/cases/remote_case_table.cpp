// The case table of troupe-bench-remote (main.cpp is troupe-bench's): the
// remote cases, and their server roles, which the cases start as
// `troupe-bench-remote --remote-server=CASE key=value ...` (server_role in
// cases/remote_support.hpp). find_case knows the roles; case_table, and so
// --help, does not list them, since nobody but the case starts them.
#include "case_table.hpp"
#include "cases/remote_cases.hpp"

namespace troupe::bench {

namespace {

const std::vector<CaseInfo>& server_roles() {
  static const std::vector<CaseInfo> table = {
      {"--remote-server=remote_ping_pong", {workers_key()}, run_remote_ping_pong_server},
      {"--remote-server=remote_fan_in",
       {{"n", 1'000'000}, workers_key()},
       run_remote_fan_in_server},
  };
  return table;
}

}  // namespace

const std::vector<CaseInfo>& case_table() {
  static const std::vector<CaseInfo> table = {
      {"remote_ping_pong", remote_ping_pong_keys(), run_remote_ping_pong},
      {"remote_fan_in", remote_fan_in_keys(), run_remote_fan_in},
      {"remote_ask_latency", remote_ask_latency_keys(), run_remote_ask_latency},
  };
  return table;
}

const CaseInfo* find_case(std::string_view name) {
  for (const auto& c : case_table()) {
    if (c.name == name) return &c;
  }
  for (const auto& c : server_roles()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace troupe::bench
