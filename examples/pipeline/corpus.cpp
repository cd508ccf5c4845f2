#include "pipeline/corpus.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <unordered_set>
#include <vector>

namespace wordfreq {

namespace {

// SplitMix64: small, fast, and the same sequence on every platform (the
// standard distributions are not).
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, n).
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  /// True with probability `per_mille` / 1000.
  bool chance(unsigned per_mille) { return next() % 1000 < per_mille; }
  /// Uniform in [0, 1).
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

// Pronounceable made-up words, all distinct; shorter ones first, as the
// most frequent words of a language tend to be.
std::vector<std::string> make_vocabulary(std::size_t n, Random& random) {
  static constexpr std::string_view kConsonants = "bcdfghjklmnprstvwz";
  static constexpr std::string_view kVowels = "aeiouy";
  std::vector<std::string> words;
  std::unordered_set<std::string> seen;
  words.reserve(n);
  while (words.size() < n) {
    // One to five syllables, more of them further down the list.
    const std::size_t syllables =
        1 + random.below(2 + std::min<std::size_t>(3, words.size() / 500));
    std::string w;
    for (std::size_t s = 0; s < syllables; ++s) {
      if (!random.chance(150)) w += kConsonants[random.below(kConsonants.size())];
      w += kVowels[random.below(kVowels.size())];
      if (random.chance(300)) w += kConsonants[random.below(kConsonants.size())];
    }
    if (seen.insert(w).second) words.push_back(std::move(w));
  }
  return words;
}

// Zipf's law with exponent 1: rank r has weight 1 / (r + 1).
class ZipfSampler {
 public:
  explicit ZipfSampler(std::size_t n) : cumulative_(n) {
    double total = 0;
    for (std::size_t r = 0; r < n; ++r) cumulative_[r] = total += 1.0 / static_cast<double>(r + 1);
  }
  std::size_t sample(Random& random) const {
    const double u = random.unit() * cumulative_.back();
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
    return std::min<std::size_t>(static_cast<std::size_t>(it - cumulative_.begin()),
                                 cumulative_.size() - 1);
  }

 private:
  std::vector<double> cumulative_;
};

class Writer {
 public:
  Writer(const CorpusOptions& options, const std::function<void(std::string_view)>& out)
      : options_(options),
        out_(out),
        random_(options.seed),
        words_(make_vocabulary(std::max<std::size_t>(1, options.vocabulary), random_)),
        zipf_(words_.size()) {
    buffer_.reserve(kFlushAt + 4096);
  }

  void run() {
    const bool mixed = options_.style == CorpusStyle::kMixed;
    bool long_word_written = false;
    while (written_ + buffer_.size() < options_.bytes) {
      if (mixed && !long_word_written && written_ + buffer_.size() > options_.bytes / 3) {
        long_word();
        long_word_written = true;
      }
      if (mixed && random_.chance(2)) {
        line(100'000 + random_.below(200'000), mixed);
      } else {
        line(40 + random_.below(60), mixed);
      }
      if (random_.chance(50)) end_line(mixed);  // a paragraph: an empty line
      flush_if_full();
    }
    if (mixed) {
      // No newline at the very end: the last word ends with the input.
      if (!buffer_.empty() && buffer_.back() == '\n') buffer_.pop_back();
      buffer_ += "Finis";
    }
    out_(buffer_);
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kFlushAt = 1 << 20;

  void flush_if_full() {
    if (buffer_.size() < kFlushAt) return;
    out_(buffer_);
    written_ += buffer_.size();
    buffer_.clear();
  }

  void line(std::size_t length, bool mixed) {
    const std::size_t start = buffer_.size();
    bool sentence_start = true;
    while (buffer_.size() - start < length) {
      if (buffer_.size() != start) buffer_ += (mixed && random_.chance(20)) ? '\t' : ' ';
      word(sentence_start, mixed);
      sentence_start = false;
      if (random_.chance(80)) buffer_ += ',';
      if (random_.chance(50)) {
        buffer_ += random_.chance(200) ? '?' : '.';
        sentence_start = true;
      }
      if (length > kFlushAt / 4) flush_if_full();
    }
    end_line(mixed);
  }

  void end_line(bool mixed) {
    if (mixed && random_.chance(30)) buffer_ += '\r';
    buffer_ += '\n';
  }

  void word(bool capitalize, bool mixed) {
    const std::string& w = words_[zipf_.sample(random_)];
    if (mixed && random_.chance(30)) {
      buffer_ += kUtf8Words[random_.below(kUtf8Words.size())];
      return;
    }
    const std::size_t start = buffer_.size();
    if (mixed && random_.chance(20)) buffer_ += std::to_string(random_.below(1000));
    const std::size_t letters = buffer_.size();
    buffer_ += w;
    if (random_.chance(10)) {
      for (std::size_t i = letters; i < buffer_.size(); ++i) buffer_[i] = upper(buffer_[i]);
    } else if (capitalize || random_.chance(60)) {
      buffer_[letters] = upper(buffer_[letters]);
    }
    if (!mixed) return;
    if (random_.chance(50)) {
      for (std::size_t i = start; i < buffer_.size(); ++i) {
        if (random_.chance(300)) buffer_[i] = upper(buffer_[i]);
      }
    }
    if (random_.chance(20)) buffer_ += std::to_string(random_.below(100));  // "abc12def"
    if (random_.chance(20)) buffer_ += words_[zipf_.sample(random_)];
    if (random_.chance(15)) buffer_ += static_cast<char>(0x80 + random_.below(128));
    if (random_.chance(5)) buffer_ += '\0';
  }

  // 150,000 letters, case mixed, with no separator: longer than a chunk.
  void long_word() {
    for (std::size_t i = 0; i < 150'000; ++i) {
      const char c = static_cast<char>('a' + i % 26);
      buffer_ += (i % 7 == 0) ? upper(c) : c;
    }
    buffer_ += '\n';
    flush_if_full();
  }

  static char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

  static constexpr std::array<std::string_view, 10> kUtf8Words = {
      "caf\xc3\xa9",   // café
      "na\xc3\xafve",  // naïve
      "Stra\xc3\x9f"
      "e",                       // Straße
      "\xc3\x85ngstr\xc3\xb6m",  // Ångström
      "\xc3\xbc"
      "ber",                       // über
      "r\xc3\xa9sum\xc3\xa9",      // résumé
      "ni\xc3\xb1o",               // niño
      "\xe6\x97\xa5\xe6\x9c\xac",  // 日本
      "\xd0\xbc\xd0\xb8\xd1\x80",  // мир
      "\xf0\x9f\x99\x82smile",     // an emoji, then letters
  };

  const CorpusOptions& options_;
  const std::function<void(std::string_view)>& out_;
  Random random_;
  std::vector<std::string> words_;
  ZipfSampler zipf_;
  std::string buffer_;
  std::uint64_t written_ = 0;
};

}  // namespace

void generate_corpus(const CorpusOptions& options,
                     const std::function<void(std::string_view)>& out) {
  Writer(options, out).run();
}

}  // namespace wordfreq
