// The tokenizer (examples/pipeline/tokenizer.hpp): what a word is, and the
// cut points that keep words whole across chunks (reader.hpp).

#include "pipeline/tokenizer.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/reader.hpp"

namespace {

using wordfreq::cut_point;
using wordfreq::for_each_word;
using wordfreq::hash_word;
using Words = std::vector<std::string>;

Words words_of(std::string text) {
  Words words;
  for_each_word(std::span<char>(text.data(), text.size()),
                [&](std::string_view w, std::uint64_t hash) {
                  EXPECT_EQ(hash, hash_word(w)) << w;
                  words.emplace_back(w);
                });
  return words;
}

TEST(Tokenizer, WordsAreRunsOfAsciiLetters) {
  EXPECT_EQ(words_of("the quick  brown\tfox\n"), (Words{"the", "quick", "brown", "fox"}));
  EXPECT_EQ(words_of(""), Words{});
  EXPECT_EQ(words_of(" \n\t.,;"), Words{});
  EXPECT_EQ(words_of("word"), Words{"word"});  // the end of the text ends a word
}

TEST(Tokenizer, CaseIsFolded) {
  EXPECT_EQ(words_of("Hello HELLO hElLo"), (Words{"hello", "hello", "hello"}));
  EXPECT_EQ(words_of("AZaz@[`{"), (Words{"azaz"}));  // the bytes around the letter ranges
}

TEST(Tokenizer, DigitsAndPunctuationSeparateWords) {
  EXPECT_EQ(words_of("abc123def"), (Words{"abc", "def"}));
  EXPECT_EQ(words_of("don't stop-me_now"), (Words{"don", "t", "stop", "me", "now"}));
  EXPECT_EQ(words_of("1984 42"), Words{});
}

TEST(Tokenizer, EveryNonAsciiByteSeparatesWords) {
  EXPECT_EQ(words_of("caf\xc3\xa9 na\xc3\xafve"), (Words{"caf", "na", "ve"}));
  EXPECT_EQ(words_of("Stra\xc3\x9f"
                     "e"),
            (Words{"stra", "e"}));
  EXPECT_EQ(words_of("\xe6\x97\xa5\xe6\x9c\xac"), Words{});
  std::string binary;
  for (int b = 0; b < 256; ++b) binary += static_cast<char>(b);
  // All 256 byte values in order: exactly two runs of letters.
  EXPECT_EQ(words_of(binary), (Words{"abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz"}));
  EXPECT_EQ(words_of(std::string("a\0b", 3)), (Words{"a", "b"}));
}

TEST(Tokenizer, WordsAreLowercasedInPlace) {
  std::string text = "Big CATS";
  for_each_word(std::span<char>(text.data(), text.size()), [](std::string_view, std::uint64_t) {});
  EXPECT_EQ(text, "big cats");
}

TEST(Tokenizer, HashesDifferForDifferentWords) {
  EXPECT_NE(hash_word("ab"), hash_word("ba"));
  EXPECT_NE(hash_word("a"), hash_word("aa"));
  EXPECT_EQ(hash_word("same"), hash_word("same"));
}

TEST(CutPoint, AfterTheLastLineEnd) {
  EXPECT_EQ(cut_point("one\ntwo\nthr"), 8u);
  EXPECT_EQ(cut_point("one\n"), 4u);
  EXPECT_EQ(cut_point("one two\nthree four"), 8u);  // a line end wins over a later space
}

TEST(CutPoint, AfterTheLastSeparatorInALongLine) {
  EXPECT_EQ(cut_point("one two thr"), 8u);
  EXPECT_EQ(cut_point("abc\xc3\xa9"
                      "de"),
            5u);
  EXPECT_EQ(cut_point("abc1"), 4u);
}

TEST(CutPoint, NeverInsideAWord) {
  EXPECT_EQ(cut_point(""), 0u);
  EXPECT_EQ(cut_point("abcdef"), 0u);
  EXPECT_EQ(cut_point("ABCdef"), 0u);
}

}  // namespace
