// The counter actors (examples/pipeline/counter_shard.hpp) and the whole
// pipeline in-process (pipeline.hpp): counts against a simple reference,
// with every stage squeezed to capacity 1 so that backpressure is
// exercised all along.

#include "pipeline/counter_shard.hpp"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include <troupe/actor/actor_system.hpp>
#include <troupe/channels/channel.hpp>

#include "pipeline/corpus.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/tokenizer.hpp"
#include "reference_count.hpp"

namespace {

using wordfreq::Collect;
using wordfreq::CounterShard;
using wordfreq::ShardReport;
using wordfreq::WordBatch;
using List = std::vector<wordfreq::WordCount>;

WordBatch batch_of(std::initializer_list<std::pair<std::string_view, std::uint64_t>> words) {
  WordBatch b;
  for (const auto& w : words) b.add(w.first, wordfreq::hash_word(w.first), w.second);
  return b;
}

troupe::Task<ShardReport> fill_and_collect(troupe::ActorRef<CounterShard> shard,
                                           std::vector<WordBatch> batches, std::size_t k) {
  for (WordBatch& b : batches) {
    const troupe::TellStatus status = co_await shard.send(std::move(b));
    EXPECT_EQ(status, troupe::TellStatus::kQueued);
  }
  auto channel = troupe::channel::bounded<ShardReport>(1);
  Collect request{k, std::move(channel.first)};
  const troupe::TellStatus status = co_await shard.send(std::move(request));
  EXPECT_EQ(status, troupe::TellStatus::kQueued);
  std::optional<ShardReport> report = co_await channel.second.recv();
  EXPECT_TRUE(report.has_value());
  co_return report ? std::move(*report) : ShardReport{};
}

TEST(CounterShard, AddsBatchesAndReportsItsTop) {
  troupe::ActorSystem system;
  auto shard = system.spawn_with<CounterShard>(
      troupe::SpawnOptions{troupe::MailboxOptions::bounded(1)});  // every send waits its turn
  std::vector<WordBatch> batches;
  batches.push_back(batch_of({{"the", 3}, {"cat", 1}}));
  batches.push_back(batch_of({{"the", 2}, {"dog", 1}, {"ant", 1}}));
  batches.push_back(batch_of({{"cat", 1}}));
  const ShardReport report = system.block_on(fill_and_collect(shard, std::move(batches), 3));
  EXPECT_EQ(report.top, (List{{"the", 5}, {"cat", 2}, {"ant", 1}}));
  EXPECT_EQ(report.words, 9u);
  EXPECT_EQ(report.distinct, 4u);
}

TEST(CounterShard, ARefusedCollectClosesTheReplyChannel) {
  // A stopped shard drops the request, and its Sender with it: whoever
  // waits for the report learns there will be none instead of hanging.
  troupe::ActorSystem system;
  auto shard = system.spawn<CounterShard>();
  shard.stop();
  const bool got_report =
      system.block_on([](troupe::ActorRef<CounterShard> s) -> troupe::Task<bool> {
        auto channel = troupe::channel::bounded<ShardReport>(1);
        Collect request{0, std::move(channel.first)};
        const troupe::TellStatus status = co_await s.send(std::move(request));
        (void)status;  // refused, or queued and then dropped as the shard stops
        std::optional<ShardReport> report = co_await channel.second.recv();
        co_return report.has_value();
      }(shard));
  EXPECT_FALSE(got_report);
}

// Files in a temporary directory, removed at the end.
class InputFiles {
 public:
  InputFiles() {
    char name[] = "/tmp/wordfreq-pipeline-XXXXXX";
    dir_ = ::mkdtemp(name);
  }
  ~InputFiles() {
    for (const auto& f : files_) ::unlink(f.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string add(std::string_view content) {
    files_.push_back(dir_ + "/" + std::to_string(files_.size()));
    std::ofstream(files_.back(), std::ios::binary)
        .write(content.data(), static_cast<std::streamsize>(content.size()));
    return files_.back();
  }

 private:
  std::string dir_;
  std::vector<std::string> files_;
};

std::string corpus(std::uint64_t bytes, std::uint64_t seed, wordfreq::CorpusStyle style) {
  wordfreq::CorpusOptions options;
  options.bytes = bytes;
  options.seed = seed;
  options.style = style;
  std::string text;
  wordfreq::generate_corpus(options, [&](std::string_view piece) { text += piece; });
  return text;
}

TEST(Pipeline, CountsLikeTheReferenceWhateverItsShape) {
  InputFiles inputs;
  const std::string a = corpus(300'000, 1, wordfreq::CorpusStyle::kMixed);
  const std::string b = corpus(200'000, 2, wordfreq::CorpusStyle::kText);
  const std::vector<std::string> files = {inputs.add(a), inputs.add(b)};
  // Files end words: the reference counts each file apart.
  auto expected = wordfreq::testing::reference_counts(a);
  for (const auto& [word, n] : wordfreq::testing::reference_counts(b)) expected[word] += n;
  std::uint64_t expected_words = 0;
  for (const auto& entry : expected) expected_words += entry.second;

  troupe::ActorSystem system;
  struct Shape {
    std::size_t workers, shards, chunk_size, read_ahead, mailbox;
  };
  for (const Shape s : {Shape{1, 1, 64 * 1024, 0, 8}, Shape{3, 5, 4096, 1, 1},
                        Shape{2, 2, 100, 1, 1}, Shape{4, 1, 1000, 2, 2}}) {
    wordfreq::PipelineOptions options;
    options.top = 0;
    options.workers = s.workers;
    options.shards = s.shards;
    options.chunk_size = s.chunk_size;
    options.read_ahead = s.read_ahead;
    options.mailbox_capacity = s.mailbox;
    wordfreq::PipelineStats stats;
    const wordfreq::PipelineResult result = wordfreq::count_words(
        system, files, options, stats, [](const std::string& input, std::error_code e) {
          ADD_FAILURE() << input << ": " << e.message();
        });
    EXPECT_EQ(result.top, wordfreq::testing::reference_top(expected, 0))
        << s.workers << " workers, " << s.shards << " shards, chunks of " << s.chunk_size;
    EXPECT_EQ(result.words, expected_words);
    EXPECT_EQ(result.distinct, expected.size());
    EXPECT_EQ(result.bytes, a.size() + b.size());
    EXPECT_EQ(stats.bytes_counted.load(), a.size() + b.size());
    EXPECT_EQ(result.failed_inputs, 0u);
  }
  EXPECT_EQ(system.dead_letters(), 0u);
}

TEST(Pipeline, TopKAndAMissingInput) {
  InputFiles inputs;
  const std::string text = "b a c b a b\nd";
  const std::vector<std::string> files = {inputs.add(text), "/nonexistent/wordfreq",
                                          inputs.add("a")};
  troupe::ActorSystem system;
  wordfreq::PipelineOptions options;
  options.top = 2;
  wordfreq::PipelineStats stats;
  std::vector<std::string> failed;
  const wordfreq::PipelineResult result = wordfreq::count_words(
      system, files, options, stats,
      [&](const std::string& input, std::error_code) { failed.push_back(input); });
  EXPECT_EQ(result.top, (List{{"a", 3}, {"b", 3}}));
  EXPECT_EQ(result.failed_inputs, 1u);
  EXPECT_EQ(failed, std::vector<std::string>{"/nonexistent/wordfreq"});
}

TEST(Pipeline, NoInputGivesNoWords) {
  InputFiles inputs;
  troupe::ActorSystem system;
  wordfreq::PipelineStats stats;
  const wordfreq::PipelineResult result =
      wordfreq::count_words(system, {inputs.add("")}, {}, stats, {});
  EXPECT_TRUE(result.top.empty());
  EXPECT_EQ(result.words, 0u);
}

}  // namespace
