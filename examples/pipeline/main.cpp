// troupe-wordfreq: the most frequent words of a set of text files, counted
// by a backpressured pipeline of a reader thread, tokenizer tasks and
// counter actors (see README.md).
//
//   troupe-wordfreq [--top K] [--workers N] [--shards N] [FILE...]
//
// The result goes to stdout, one "<count> <word>" a line; errors, and the
// progress of a long run on a terminal, go to stderr.
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include <troupe/actor/actor_system.hpp>

#include "pipeline/options.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/progress.hpp"

namespace {

constexpr const char* kProgram = "troupe-wordfreq";

// The bytes of the inputs, if all are regular files (for a percentage).
std::uint64_t total_size(const std::vector<std::string>& inputs) {
  std::uint64_t total = 0;
  for (const std::string& name : inputs) {
    struct stat st {};
    const int r = name == "-" ? ::fstat(STDIN_FILENO, &st) : ::stat(name.c_str(), &st);
    if (r != 0 || !S_ISREG(st.st_mode)) return 0;
    total += static_cast<std::uint64_t>(st.st_size);
  }
  return total;
}

// The result, in one write: a script reading it sees whole lines.
void print(const std::vector<wordfreq::WordCount>& top) {
  std::string out;
  for (const wordfreq::WordCount& w : top) {
    out += std::to_string(w.count);
    out += ' ';
    out += w.word;
    out += '\n';
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  const wordfreq::ParsedCommandLine parsed = wordfreq::parse_command_line(args);
  if (!parsed.command) {
    std::fprintf(stderr, "%s: %s\n%s", kProgram, parsed.error.c_str(),
                 wordfreq::usage(kProgram).c_str());
    return 2;
  }
  const wordfreq::CommandLine& command = *parsed.command;
  if (command.help) {
    std::fputs(wordfreq::usage(kProgram).c_str(), stdout);
    return 0;
  }

  try {
    troupe::ActorSystemOptions system_options;
    system_options.workers = command.threads;
    troupe::ActorSystem system(system_options);

    wordfreq::PipelineStats stats;
    const bool terminal = ::isatty(STDERR_FILENO) == 1;
    std::optional<wordfreq::ProgressMeter> meter;
    if (terminal) {
      meter.emplace(system.runtime(), stats, total_size(command.inputs), stderr,
                    std::chrono::milliseconds(500));
    }
    const auto start = std::chrono::steady_clock::now();
    const auto on_error = [terminal](const std::string& input, std::error_code error) {
      // Starts with erasing the progress line, if there is one.
      std::fprintf(stderr, "%s%s: %s: %s\n", terminal ? "\r\033[K" : "", kProgram,
                   input == "-" ? "standard input" : input.c_str(), error.message().c_str());
    };
    const wordfreq::PipelineResult result =
        wordfreq::count_words(system, command.inputs, command.pipeline, stats, on_error);

    if (meter && meter->stop()) {
      // A long run on a terminal ends with a summary (on stderr, like the
      // progress: stdout stays the bare result).
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
      const double mb = static_cast<double>(result.bytes) / 1e6;
      std::fprintf(stderr, "%s: %.1f MB in %.2f s (%.1f MB/s), %llu words, %llu distinct\n",
                   kProgram, mb, elapsed.count(), mb / elapsed.count(),
                   static_cast<unsigned long long>(result.words),
                   static_cast<unsigned long long>(result.distinct));
    }
    print(result.top);
    return result.failed_inputs == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", kProgram, e.what());
    return 1;
  }
}
