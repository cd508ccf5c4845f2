#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/pipeline.hpp"

namespace wordfreq {

/// What the command line asks for. A plain value.
struct CommandLine {
  PipelineOptions pipeline;
  /// Runtime worker threads (0: one per hardware thread).
  std::size_t threads = 0;
  /// Files to read, in order; "-" is standard input, which is also what
  /// an empty list means.
  std::vector<std::string> inputs;
  /// --help: print the usage and stop.
  bool help = false;
};

/// The command line, or what is wrong with it (`error` then says what).
struct ParsedCommandLine {
  std::optional<CommandLine> command;
  std::string error;
};

/// Parses the arguments (without the program name):
///   [--top K] [--workers N] [--shards N] [--threads N] [--chunk-size BYTES]
///   [--help] [--] [FILE...]
/// Options take their value as the next argument or after '='. "--" ends
/// the options. No file means standard input.
ParsedCommandLine parse_command_line(std::span<const std::string_view> args);

/// The usage text, for `program`.
std::string usage(std::string_view program);

}  // namespace wordfreq
