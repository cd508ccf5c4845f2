// The remote cases' entries in troupe-bench: they hand the run over to
// troupe-bench-remote (see cases/remote_cases.hpp for why). exec_sibling
// does the same for the cluster cases (cases/cluster_exec.cpp).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "cases/remote_cases.hpp"
#include "cases/sibling_exec.hpp"

namespace troupe::bench {

namespace {

// `executable`, from the folder this executable is in.
std::string sibling_executable(std::string_view executable) {
  char path[4096];
  const ssize_t got = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (got <= 0) throw std::runtime_error("cannot read /proc/self/exe");
  std::string self(path, static_cast<std::size_t>(got));
  return self.substr(0, self.rfind('/') + 1) + std::string(executable);
}

}  // namespace

void exec_sibling(std::string_view executable, std::string_view case_name, const Params& p,
                  const std::vector<KeySpec>& keys) {
  const std::string exe = sibling_executable(executable);
  std::vector<std::string> words{std::string(executable), std::string(case_name)};
  for (const auto& k : keys) {
    words.push_back(std::string(k.name) + "=" + std::to_string(p.get(k.name)));
  }
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  ::execv(exe.c_str(), argv.data());
  throw std::runtime_error("cannot run " + exe + ": " + std::strerror(errno));
}

Outcome exec_remote_ping_pong(const Params& p) {
  exec_sibling("troupe-bench-remote", "remote_ping_pong", p, remote_ping_pong_keys());
}

Outcome exec_remote_ask_latency(const Params& p) {
  exec_sibling("troupe-bench-remote", "remote_ask_latency", p, remote_ask_latency_keys());
}

Outcome exec_remote_fan_in(const Params& p) {
  exec_sibling("troupe-bench-remote", "remote_fan_in", p, remote_fan_in_keys());
}

}  // namespace troupe::bench
