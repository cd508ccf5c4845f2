// The hash table of counts (examples/pipeline/word_table.hpp) and the
// per-chunk tally a worker makes with it (tally.hpp).

#include "pipeline/word_table.hpp"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/tally.hpp"
#include "pipeline/tokenizer.hpp"
#include "reference_count.hpp"

namespace {

using wordfreq::Chunk;
using wordfreq::hash_word;
using wordfreq::Tallier;
using wordfreq::WordTable;

void add(WordTable& table, std::string_view word, std::uint64_t count = 1) {
  table.add(word, hash_word(word), count);
}

std::map<std::string, std::uint64_t> contents(const WordTable& table) {
  std::map<std::string, std::uint64_t> out;
  table.for_each([&](const WordTable::Entry& e) {
    EXPECT_EQ(e.hash, hash_word(e.word));
    EXPECT_TRUE(out.emplace(std::string(e.word), e.count).second) << "twice: " << e.word;
  });
  return out;
}

TEST(WordTable, CountsWords) {
  WordTable table(WordTable::Keys::kOwned);
  add(table, "a");
  add(table, "b", 5);
  add(table, "a", 2);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.count("a"), 3u);
  EXPECT_EQ(table.count("b"), 5u);
  EXPECT_EQ(table.count("c"), 0u);
}

TEST(WordTable, GrowsWithoutLosingAWord) {
  WordTable table(WordTable::Keys::kOwned);
  std::map<std::string, std::uint64_t> expected;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 20000; ++i) {
      std::string word = "w";
      word += std::to_string(i * 7919 % 20011);
      add(table, word, static_cast<std::uint64_t>(i % 5 + 1));
      expected[word] += static_cast<std::uint64_t>(i % 5 + 1);
    }
  }
  EXPECT_EQ(contents(table), expected);
}

TEST(WordTable, OwnedKeysOutliveTheirSource) {
  WordTable table(WordTable::Keys::kOwned);
  std::string source = "transient";
  add(table, source);
  std::string long_word(100000, 'x');  // gets a block of its own
  add(table, long_word);
  source.assign(source.size(), '#');
  long_word.assign(long_word.size(), '#');
  EXPECT_EQ(table.count("transient"), 1u);
  EXPECT_EQ(table.count(std::string(100000, 'x')), 1u);
}

TEST(WordTable, ClearEmptiesAndTheTableIsReusable) {
  WordTable table(WordTable::Keys::kBorrowed);
  const std::string a = "alpha", b = "beta";
  for (int i = 0; i < 1000; ++i) add(table, a);
  add(table, b);
  table.clear();
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.count("alpha"), 0u);
  add(table, b);
  EXPECT_EQ(contents(table), (std::map<std::string, std::uint64_t>{{"beta", 1}}));
}

TEST(Tally, SplitsTheChunksCountsByShard) {
  const std::string text = "The cat and THE dog; the end. Cat!\nzebra 42 zebra\n";
  const auto expected = wordfreq::testing::reference_counts(text);
  for (std::size_t shards : {1u, 2u, 3u, 8u}) {
    Tallier tallier(shards);
    Chunk chunk = Chunk::copy_of(text);
    const wordfreq::Tally tally = tallier.tally(chunk);
    ASSERT_EQ(tally.batches.size(), shards);
    EXPECT_EQ(tally.bytes, text.size());
    EXPECT_EQ(tally.words, 10u);
    std::map<std::string, std::uint64_t> seen;
    for (std::size_t i = 0; i < shards; ++i) {
      tally.batches[i].for_each([&](std::string_view w, std::uint64_t hash, std::uint64_t count) {
        EXPECT_EQ(wordfreq::shard_of(hash, shards), i) << w;
        EXPECT_EQ(hash, hash_word(w));
        EXPECT_TRUE(seen.emplace(std::string(w), count).second) << "a word sent twice: " << w;
      });
    }
    EXPECT_EQ(seen, expected) << shards << " shards";
  }
}

TEST(Tally, AChunkWithoutWordsIsEmpty) {
  Tallier tallier(2);
  constexpr char kBytes[] = "123 \xc3\xa9\n\n--\0\x01";
  Chunk chunk = Chunk::copy_of(std::string_view(kBytes, sizeof kBytes - 1));
  const wordfreq::Tally tally = tallier.tally(chunk);
  EXPECT_TRUE(tally.empty());
  EXPECT_EQ(tally.words, 0u);
}

TEST(Tally, ShardsShareTheWordsOut) {
  // With many distinct words, every shard gets some (the hash spreads).
  Tallier tallier(4);
  std::string text;
  for (int i = 0; i < 2000; ++i) {
    for (int n = i; n > 0; n /= 26) text += static_cast<char>('a' + n % 26);
    text += ' ';
  }
  Chunk chunk = Chunk::copy_of(text);
  const wordfreq::Tally tally = tallier.tally(chunk);
  for (const auto& batch : tally.batches) EXPECT_GT(batch.size(), 300u);
}

}  // namespace
