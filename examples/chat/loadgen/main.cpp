// troupe-chat-loadgen: N IRC clients in M channels, each sending K
// messages; checks that every member of a channel gets every message of it
// exactly once and in order per sender, and reports throughput and latency.
// Works against any IRC server (--port), not only troupe-chat.
//
//   troupe-chat-loadgen [--host 127.0.0.1] [--port 6667] [--clients 100]
//       [--rooms 10] [--messages 100] [--rate MSGS_PER_S] [--window 32]
//       [--payload 32] [--prefix lg] [--workers N]
//
// Exit status: 0 if nothing was lost, duplicated or reordered; 1 otherwise.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <sys/resource.h>

#include <troupe/runtime/runtime.hpp>

#include "chat/loadgen/loadgen.hpp"

namespace {

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--host ADDRESS] [--port PORT] [--clients N] [--rooms M]\n"
               "          [--messages K] [--rate MSGS_PER_S] [--window W] [--payload BYTES]\n"
               "          [--prefix NAME] [--workers THREADS]\n",
               argv0);
}

void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  chat::loadgen::Options o;
  std::size_t workers = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      usage(argv[0]);
      return 2;
    }
    const char* value = argv[++i];
    const long long number = std::strtoll(value, nullptr, 10);
    if (arg == "--host") {
      o.host = value;
    } else if (arg == "--port" && number > 0 && number < 65536) {
      o.port = static_cast<std::uint16_t>(number);
    } else if (arg == "--clients" && number > 0) {
      o.clients = static_cast<std::size_t>(number);
    } else if (arg == "--rooms" && number > 0) {
      o.rooms = static_cast<std::size_t>(number);
    } else if (arg == "--messages" && number >= 0) {
      o.messages = static_cast<std::size_t>(number);
    } else if (arg == "--rate") {
      o.rate = std::strtod(value, nullptr);
    } else if (arg == "--window" && number >= 0) {
      o.window = static_cast<std::size_t>(number);
    } else if (arg == "--payload" && number >= 0 && number <= 400) {
      o.payload = static_cast<std::size_t>(number);
    } else if (arg == "--prefix") {
      o.prefix = value;
    } else if (arg == "--workers" && number >= 0) {
      workers = static_cast<std::size_t>(number);
    } else {
      usage(argv[0]);
      return 2;
    }
  }
  raise_file_limit();
  troupe::Runtime runtime({.workers = workers});
  const chat::loadgen::Report report = runtime.block_on(chat::loadgen::run(o));
  std::printf("troupe-chat-loadgen against %s:%u: %s", o.host.c_str(),
              static_cast<unsigned>(o.port), chat::loadgen::describe(o, report).c_str());
  return report.ok() ? 0 : 1;
}
