// Backpressure end to end, measured: the peak memory (RSS) of the real
// troupe-wordfreq is the same for an input ten times larger, since every
// stage between the input and the counts is bounded. The corpus has a
// small vocabulary, all of it seen in the smaller input, so the count
// tables are the same size in both runs.

#include <cstdint>
#include <string>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/sibling_binary.hpp"
#include "pipeline/corpus.hpp"

extern char** environ;

namespace {

// ASan keeps freed memory in quarantine. g++ says it is on with a macro,
// clang 14 only through __has_feature.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
constexpr bool kSanitized = __has_feature(address_sanitizer);
#else
constexpr bool kSanitized = false;
#endif

// Runs troupe-wordfreq on `bytes` of generated text fed through its
// standard input; returns its peak RSS in KiB.
long peak_rss_kib(std::uint64_t bytes, const std::vector<std::string>& options) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  const std::string program = troupe::test::sibling_binary(WORDFREQ_BINARY);
  std::vector<std::string> args = {program};
  args.insert(args.end(), options.begin(), options.end());
  args.push_back("-");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[0]);
  if (spawned != 0) {
    ::close(pipe_fds[1]);
    ADD_FAILURE() << "cannot start " << program;
    return -1;
  }

  wordfreq::CorpusOptions corpus;
  corpus.bytes = bytes;
  corpus.vocabulary = 2000;
  bool write_failed = false;
  ::signal(SIGPIPE, SIG_IGN);
  wordfreq::generate_corpus(corpus, [&](std::string_view piece) {
    while (!write_failed && !piece.empty()) {
      const ssize_t n = ::write(pipe_fds[1], piece.data(), piece.size());
      if (n < 0) {
        write_failed = errno != EINTR;
        continue;
      }
      piece.remove_prefix(static_cast<std::size_t>(n));
    }
  });
  ::close(pipe_fds[1]);
  int status = 0;
  rusage usage{};
  EXPECT_EQ(::wait4(pid, &status, 0, &usage), pid);
  EXPECT_FALSE(write_failed);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  return usage.ru_maxrss;
}

TEST(Memory, PeakRssDoesNotGrowWithTheInput) {
  if (kSanitized) GTEST_SKIP() << "RSS under AddressSanitizer says nothing about the program";
  const long small = peak_rss_kib(4'000'000, {});
  const long large = peak_rss_kib(40'000'000, {});
  RecordProperty("small_kib", static_cast<int>(small));
  RecordProperty("large_kib", static_cast<int>(large));
  // A few MiB of slack for the allocator's whims; without backpressure
  // the larger run would hold tens of MB of read-ahead.
  EXPECT_LT(large, small + 4 * 1024)
      << "peak RSS " << small << " KiB for 4 MB, " << large << " KiB for 40 MB";
}

}  // namespace
