// troupe-chat: an IRC server (a subset of RFC 1459/2812) built from actors.
// Real clients can use it: irssi -c 127.0.0.1 -p 6667
//
//   troupe-chat [--host 127.0.0.1] [--port 6667] [--name troupe.chat]
//               [--max-backlog 1024]
//
// Ctrl-C (SIGINT) or SIGTERM stops it: clients get an ERROR line first.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <pthread.h>
#include <sys/resource.h>

#include <troupe/actor/actor_system.hpp>

#include "chat/server.hpp"

namespace {

void usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--host ADDRESS] [--port PORT] [--name SERVER-NAME] "
               "[--max-backlog LINES]\n",
               argv0);
}

// Each client is a socket: allow as many as the hard limit does.
void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

}  // namespace

int main(int argc, char** argv) {
  chat::ServerOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--host" && has_value) {
      options.host = argv[++i];
    } else if (arg == "--port" && has_value) {
      const long port = std::strtol(argv[++i], nullptr, 10);
      if (port < 0 || port > 65535) {
        usage(argv[0]);
        return 2;
      }
      options.port = static_cast<std::uint16_t>(port);
    } else if (arg == "--name" && has_value) {
      options.server_name = argv[++i];
    } else if (arg == "--max-backlog" && has_value) {
      const long lines = std::strtol(argv[++i], nullptr, 10);
      if (lines <= 0) {
        usage(argv[0]);
        return 2;
      }
      options.max_backlog = static_cast<std::size_t>(lines);
    } else {
      usage(argv[0]);
      return 2;
    }
  }
  raise_file_limit();

  // Signals are taken synchronously by this thread (sigwait below), never
  // by a handler: blocked here, before the system starts its workers, so
  // that every thread inherits the mask and none is interrupted.
  // An ignored signal is discarded, never pending, so sigwait would not
  // see it: SIGTERM gets its default back. SIGINT keeps an inherited
  // SIG_IGN (a shell starts background jobs so, to shield them from Ctrl-C).
  std::signal(SIGTERM, SIG_DFL);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  troupe::ActorSystem system;
  chat::ChatServer server(system, options);
  auto address = server.start();
  if (!address) {
    std::fprintf(stderr, "troupe-chat: cannot listen on %s port %u: %s\n", options.host.c_str(),
                 static_cast<unsigned>(options.port), address.error().message().c_str());
    return 1;
  }
  const std::string ip = address->ip_string();
  const unsigned port = address->port();
  std::printf("troupe-chat: listening on %s\n", address->to_string().c_str());
  std::printf("connect a client:  irssi -c %s -p %u\n", ip.c_str(), port);
  std::printf("              or:  ii -s %s -p %u -n yournick   (files under ~/irc)\n", ip.c_str(),
              port);
  std::printf("Ctrl-C stops the server.\n");
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop_signals, &signal);
  std::printf("\ntroupe-chat: %s, saying goodbye to %zu client(s)\n", strsignal(signal),
              server.live_sessions());
  server.stop();
  system.shutdown();
  std::printf("troupe-chat: stopped\n");
  return 0;
}
