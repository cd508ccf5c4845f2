// The output order and the final merge (examples/pipeline/top_k.hpp).

#include "pipeline/top_k.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pipeline/tally.hpp"
#include "pipeline/tokenizer.hpp"
#include "pipeline/word_table.hpp"
#include "reference_count.hpp"

namespace {

using wordfreq::TopK;
using wordfreq::WordCount;
using wordfreq::WordTable;
using List = std::vector<WordCount>;

WordTable table_of(const std::map<std::string, std::uint64_t>& counts) {
  WordTable table(WordTable::Keys::kOwned);
  for (const auto& entry : counts) {
    table.add(entry.first, wordfreq::hash_word(entry.first), entry.second);
  }
  return table;
}

TEST(RanksBefore, CountDescendingThenWordAscending) {
  EXPECT_TRUE(wordfreq::ranks_before(WordCount{"zebra", 3}, WordCount{"apple", 2}));
  EXPECT_TRUE(wordfreq::ranks_before(WordCount{"apple", 2}, WordCount{"banana", 2}));
  EXPECT_FALSE(wordfreq::ranks_before(WordCount{"banana", 2}, WordCount{"apple", 2}));
  EXPECT_FALSE(wordfreq::ranks_before(WordCount{"same", 2}, WordCount{"same", 2}));
  // Bytewise, as LC_ALL=C sort: a prefix first.
  EXPECT_TRUE(wordfreq::ranks_before(WordCount{"ab", 1}, WordCount{"abc", 1}));
}

TEST(TopOf, TiesAreBrokenAlphabetically) {
  const WordTable table =
      table_of({{"delta", 2}, {"alpha", 2}, {"charlie", 5}, {"bravo", 2}, {"echo", 1}});
  EXPECT_EQ(wordfreq::top_of(table, 3), (List{{"charlie", 5}, {"alpha", 2}, {"bravo", 2}}));
  EXPECT_EQ(wordfreq::top_of(table, 0),
            (List{{"charlie", 5}, {"alpha", 2}, {"bravo", 2}, {"delta", 2}, {"echo", 1}}));
  EXPECT_EQ(wordfreq::top_of(table, 99).size(), 5u);
  EXPECT_TRUE(wordfreq::top_of(WordTable(WordTable::Keys::kOwned), 3).empty());
}

TEST(TopK, MergingTheShardsTopsGivesTheGlobalTop) {
  // Counts with many ties, split over shards by hash as the pipeline does:
  // the merge of each shard's top k is the top k of the whole.
  std::map<std::string, std::uint64_t> all;
  for (int i = 0; i < 3000; ++i) {
    std::string word;
    for (int n = i + 1; n > 0; n /= 26) word += static_cast<char>('a' + n % 26);
    all[word] = static_cast<std::uint64_t>(1 + (i * 37) % 11);
  }
  for (std::size_t shards : {1u, 2u, 5u}) {
    for (std::size_t k : {0u, 1u, 10u, 250u, 5000u}) {
      std::vector<std::map<std::string, std::uint64_t>> parts(shards);
      for (const auto& entry : all) {
        parts[wordfreq::shard_of(wordfreq::hash_word(entry.first), shards)].insert(entry);
      }
      TopK merged(k);
      // In an order the shards might answer in.
      for (std::size_t s = shards; s-- > 0;) merged.add(wordfreq::top_of(table_of(parts[s]), k));
      EXPECT_EQ(std::move(merged).take(), wordfreq::testing::reference_top(all, k))
          << shards << " shards, k = " << k;
    }
  }
}

TEST(TopK, NothingToMerge) { EXPECT_TRUE(TopK(10).take().empty()); }

}  // namespace
