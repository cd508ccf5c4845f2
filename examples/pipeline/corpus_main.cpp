// troupe-wordfreq-corpus: writes a deterministic pseudo-random text corpus
// to stdout, to test and measure troupe-wordfreq on inputs of any size.
//
//   troupe-wordfreq-corpus [--bytes N[K|M|G]] [--seed S] [--vocabulary V] [--mixed]
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string_view>

#include "pipeline/corpus.hpp"

namespace {

void usage() {
  std::fputs(
      "usage: troupe-wordfreq-corpus [--bytes N[K|M|G]] [--seed S] [--vocabulary V] [--mixed]\n"
      "Writes about N bytes (default 1M; K, M, G are powers of 1000) of\n"
      "pseudo-random text to stdout, the same for the same options. --mixed adds\n"
      "digits, UTF-8, binary bytes, long lines and no final newline.\n",
      stderr);
}

bool parse(std::string_view text, std::uint64_t& value) {
  std::uint64_t scale = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K':
        scale = 1000;
        break;
      case 'M':
        scale = 1000 * 1000;
        break;
      case 'G':
        scale = 1000 * 1000 * 1000;
        break;
      default:
        break;
    }
    if (scale != 1) text.remove_suffix(1);
  }
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return false;
  value *= scale;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  wordfreq::CorpusOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    std::uint64_t value = 0;
    if (arg == "--mixed") {
      options.style = wordfreq::CorpusStyle::kMixed;
    } else if (arg == "--bytes" && i + 1 < argc && parse(argv[++i], value)) {
      options.bytes = value;
    } else if (arg == "--seed" && i + 1 < argc && parse(argv[++i], value)) {
      options.seed = value;
    } else if (arg == "--vocabulary" && i + 1 < argc && parse(argv[++i], value) && value > 0) {
      options.vocabulary = static_cast<std::size_t>(value);
    } else {
      usage();
      return 2;
    }
  }
  bool failed = false;
  wordfreq::generate_corpus(options, [&](std::string_view piece) {
    if (!failed && std::fwrite(piece.data(), 1, piece.size(), stdout) != piece.size())
      failed = true;
  });
  return (std::fflush(stdout) != 0 || failed) ? 1 : 0;
}
