#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

namespace wordfreq {

/// What kind of text generate_corpus writes.
enum class CorpusStyle {
  /// Prose-like lines of words drawn from a fixed vocabulary with a Zipf
  /// distribution (a few words very common, most rare), some capitalized,
  /// some followed by punctuation; paragraphs end with an empty line.
  kText,
  /// The same, mixed with everything a tokenizer can get wrong: digits
  /// inside words, UTF-8 words, stray bytes >= 0x80, NUL, tabs, CR LF,
  /// random case, blank lines, lines of 100-300 KB, a word of 150 KB, and
  /// no newline at the very end.
  kMixed,
};

/// How to generate a corpus. The same options always give the same bytes.
struct CorpusOptions {
  /// About how many bytes to write (a little more: the last line is
  /// finished).
  std::uint64_t bytes = 1'000'000;
  std::uint64_t seed = 1;
  /// Distinct words the text is drawn from. A small vocabulary is used up
  /// within the first megabytes, so the count table stops growing.
  std::size_t vocabulary = 20'000;
  CorpusStyle style = CorpusStyle::kText;
};

/// Writes a deterministic pseudo-random corpus to `out`, in pieces of
/// about 1 MiB: test and benchmark input of any size, without storing it.
void generate_corpus(const CorpusOptions& options,
                     const std::function<void(std::string_view)>& out);

}  // namespace wordfreq
