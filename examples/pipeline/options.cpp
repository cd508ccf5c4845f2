#include "pipeline/options.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <system_error>

namespace wordfreq {

namespace {

// A whole argument as a number in [min, max].
std::optional<std::size_t> parse_number(std::string_view text, std::size_t min, std::size_t max) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return static_cast<std::size_t>(value);
}

struct NumericOption {
  std::string_view name;
  std::size_t min;
  std::size_t max;
  std::size_t CommandLine::*field;
  std::size_t PipelineOptions::*pipeline_field;
};

constexpr std::size_t kMaxCount = 1 << 16;  // workers, shards, threads
constexpr std::size_t kMaxChunk = std::size_t{1} << 30;

constexpr NumericOption kNumericOptions[] = {
    {"--top", 0, std::numeric_limits<std::size_t>::max(), nullptr, &PipelineOptions::top},
    {"--workers", 1, kMaxCount, nullptr, &PipelineOptions::workers},
    {"--shards", 1, kMaxCount, nullptr, &PipelineOptions::shards},
    {"--threads", 1, kMaxCount, &CommandLine::threads, nullptr},
    {"--chunk-size", 1, kMaxChunk, nullptr, &PipelineOptions::chunk_size},
};

ParsedCommandLine failure(std::string message) { return {std::nullopt, std::move(message)}; }

}  // namespace

ParsedCommandLine parse_command_line(std::span<const std::string_view> args) {
  CommandLine command;
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (options_done || arg == "-" || !arg.starts_with("-")) {
      command.inputs.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      command.help = true;
      continue;
    }
    const std::size_t equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    const NumericOption* option = nullptr;
    for (const NumericOption& o : kNumericOptions) {
      if (o.name == name) option = &o;
    }
    if (!option) return failure("unknown option '" + std::string(arg) + "'");
    std::string_view value;
    if (equals != std::string_view::npos) {
      value = arg.substr(equals + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return failure("option '" + std::string(name) + "' needs a value");
    }
    const std::optional<std::size_t> number = parse_number(value, option->min, option->max);
    if (!number) {
      return failure("invalid value '" + std::string(value) + "' for '" + std::string(name) +
                     "' (a whole number, at least " + std::to_string(option->min) + ")");
    }
    if (option->field) command.*(option->field) = *number;
    if (option->pipeline_field) command.pipeline.*(option->pipeline_field) = *number;
  }
  if (command.inputs.empty()) command.inputs.emplace_back("-");
  return {std::move(command), {}};
}

std::string usage(std::string_view program) {
  std::string text = "usage: ";
  text += program;
  text +=
      " [--top K] [--workers N] [--shards N] [--threads N] [--chunk-size BYTES] [FILE...]\n"
      "\n"
      "Prints the K most frequent words of the FILEs (standard input if none, or\n"
      "for '-'), one '<count> <word>' a line, count descending, then word.\n"
      "A word is a run of ASCII letters, lowercased; any other byte separates words.\n"
      "\n"
      "  --top K            words to print (default 10; 0 prints every word)\n"
      "  --workers N        tokenizer workers (default: one per hardware thread)\n"
      "  --shards N         counter actors (default: one per hardware thread)\n"
      "  --threads N        runtime worker threads (default: one per hardware thread)\n"
      "  --chunk-size BYTES bytes the reader hands out at a time (default 262144)\n"
      "  --help             this text\n"
      "\n"
      "Exit status: 0 on success, 1 if an input could not be read (the others are\n"
      "still counted), 2 for a bad command line.\n";
  return text;
}

}  // namespace wordfreq
