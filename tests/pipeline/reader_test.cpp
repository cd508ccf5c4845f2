// The reading stage (examples/pipeline/reader.hpp): how inputs are cut into
// chunks, that no word is ever split, that long lines and longer words are
// handled, that bad inputs are reported and skipped, and that the reader
// waits for the channel (backpressure).

#include "pipeline/reader.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <troupe/channels/channel.hpp>

#include "pipeline/corpus.hpp"
#include "pipeline/tokenizer.hpp"
#include "reference_count.hpp"

namespace {

using wordfreq::Chunk;
using wordfreq::read_chunks;

// A file in the test's temporary directory, removed at the end.
class TempFile {
 public:
  explicit TempFile(std::string_view content) {
    char name[] = "/tmp/wordfreq-reader-XXXXXX";
    const int fd = ::mkstemp(name);
    EXPECT_GE(fd, 0);
    path_ = name;
    EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    ::close(fd);
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> chunks_of(std::string_view content, std::size_t chunk_size) {
  TempFile file(content);
  const int fd = ::open(file.path().c_str(), O_RDONLY);
  std::vector<std::string> chunks;
  const std::error_code error = read_chunks(fd, chunk_size, [&](Chunk c) {
    chunks.emplace_back(c.text());
    return true;
  });
  ::close(fd);
  EXPECT_FALSE(error);
  return chunks;
}

std::string joined(const std::vector<std::string>& chunks) {
  std::string all;
  for (const auto& c : chunks) all += c;
  return all;
}

// Counting each chunk apart gives the counts of the whole: no word split.
std::map<std::string, std::uint64_t> counts_by_chunk(const std::vector<std::string>& chunks) {
  std::map<std::string, std::uint64_t> total;
  for (const auto& c : chunks) {
    for (const auto& [word, n] : wordfreq::testing::reference_counts(c)) total[word] += n;
  }
  return total;
}

TEST(ReadChunks, ChunksAreBatchesOfWholeLines) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "line number " + std::to_string(i) + " of the text\n";
  const auto chunks = chunks_of(text, 256);
  EXPECT_EQ(joined(chunks), text);
  EXPECT_GT(chunks.size(), text.size() / 512);
  for (const auto& c : chunks) {
    EXPECT_EQ(c.back(), '\n');
    EXPECT_LE(c.size(), 256u + 64u);  // a chunk, plus at most the line carried over
  }
}

TEST(ReadChunks, ALineLongerThanAChunkIsCutBetweenWords) {
  std::string text = "short line\n";
  for (int i = 0; i < 2000; ++i) text += "Word" + std::to_string(i % 10) + " ";
  text += "end\nlast line\n";
  const auto chunks = chunks_of(text, 100);
  EXPECT_EQ(joined(chunks), text);
  EXPECT_GT(chunks.size(), 50u);
  EXPECT_EQ(counts_by_chunk(chunks), wordfreq::testing::reference_counts(text));
  for (const auto& c : chunks) {
    EXPECT_EQ(wordfreq::fold_letter(c.back()), 0) << "a chunk ends inside a word: " << c;
  }
}

TEST(ReadChunks, AWordLongerThanAChunkStaysWhole) {
  const std::string word(10000, 'q');
  const std::string text = "before " + word + " after\n" + word;  // and no final newline
  const auto chunks = chunks_of(text, 64);
  EXPECT_EQ(joined(chunks), text);
  const auto counts = counts_by_chunk(chunks);
  EXPECT_EQ(counts.at(word), 2u);
  EXPECT_EQ(counts, wordfreq::testing::reference_counts(text));
}

TEST(ReadChunks, TheEndOfTheInputEndsTheLastChunk) {
  const auto chunks = chunks_of("no newline at the end", 8);
  EXPECT_EQ(joined(chunks), "no newline at the end");
  EXPECT_EQ(chunks.back().back(), 'd');
  EXPECT_TRUE(chunks_of("", 8).empty());
}

TEST(ReadChunks, AGeneratedCorpusSurvivesAnyChunkSize) {
  wordfreq::CorpusOptions options;
  options.bytes = 600'000;
  options.style = wordfreq::CorpusStyle::kMixed;
  std::string text;
  wordfreq::generate_corpus(options, [&](std::string_view piece) { text += piece; });
  const auto expected = wordfreq::testing::reference_counts(text);
  for (std::size_t size : {1u, 7u, 4096u, 65536u}) {
    const auto chunks = chunks_of(text, size);
    EXPECT_EQ(joined(chunks), text) << size;
    EXPECT_EQ(counts_by_chunk(chunks), expected) << size;
  }
}

TEST(ReadChunks, StopsWhenTheSinkSaysSo) {
  std::string text(100000, 'a');
  for (std::size_t i = 0; i < text.size(); i += 10) text[i] = '\n';
  TempFile file(text);
  const int fd = ::open(file.path().c_str(), O_RDONLY);
  int taken = 0;
  const std::error_code error = read_chunks(fd, 100, [&](Chunk) { return ++taken < 3; });
  ::close(fd);
  EXPECT_FALSE(error);
  EXPECT_EQ(taken, 3);
}

TEST(ReadChunks, AReadErrorIsReturned) {
  const int fd = ::open("/", O_RDONLY | O_DIRECTORY);  // read(2) on a directory: EISDIR
  ASSERT_GE(fd, 0);
  const std::error_code error = read_chunks(fd, 100, [](Chunk) { return true; });
  ::close(fd);
  EXPECT_EQ(error, std::errc::is_a_directory);
}

TEST(ReadInputs, ABadInputIsReportedAndTheOthersAreRead) {
  TempFile a("alpha beta\n"), b("gamma\n");
  const std::vector<std::string> inputs = {a.path(), "/nonexistent/wordfreq-input", "/", b.path()};
  auto channel = troupe::channel::unbounded<Chunk>();
  wordfreq::PipelineStats stats;
  std::vector<std::pair<std::string, std::error_code>> errors;
  const std::size_t failed = wordfreq::read_inputs(
      inputs, channel.first, 1024, stats,
      [&](const std::string& name, std::error_code e) { errors.emplace_back(name, e); });
  EXPECT_EQ(failed, 2u);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].first, "/nonexistent/wordfreq-input");
  EXPECT_EQ(errors[0].second, std::errc::no_such_file_or_directory);
  EXPECT_EQ(errors[1].first, "/");
  EXPECT_EQ(errors[1].second, std::errc::is_a_directory);
  std::string all;
  while (auto chunk = channel.second.try_recv()) all += chunk.value().text();
  EXPECT_EQ(all, "alpha beta\ngamma\n");
  EXPECT_EQ(stats.bytes_read.load(), all.size());
  EXPECT_EQ(stats.chunks_sent.load(), 2u);
}

TEST(ReadInputs, TheReaderWaitsForRoomInTheChannel) {
  // 200 chunks' worth of lines through a channel of 3: at every moment the
  // reader is at most 3 chunks ahead of what was taken out, however slowly
  // it is taken out.
  std::string text;
  while (text.size() < 200 * 100) text += "some words on a line\n";
  TempFile file(text);
  const std::vector<std::string> inputs = {file.path()};
  auto channel = troupe::channel::bounded<Chunk>(3);
  wordfreq::PipelineStats stats;
  std::thread reader([&, out = std::move(channel.first)] {
    (void)wordfreq::read_inputs(inputs, out, 100, stats,
                                [](const std::string&, std::error_code) {});
  });
  std::uint64_t received = 0;
  std::string all;
  while (auto chunk = channel.second.recv_blocking()) {
    ++received;
    all += chunk->text();
    EXPECT_LE(stats.chunks_sent.load(), received + 3);
  }
  reader.join();
  EXPECT_EQ(all, text);
  EXPECT_EQ(received, stats.chunks_sent.load());
  EXPECT_GT(received, 150u);
}

TEST(ReadInputs, StopsWhenTheChannelIsClosed) {
  std::string text;
  while (text.size() < 100000) text += "more and more words\n";
  TempFile file(text);
  const std::vector<std::string> inputs = {file.path(), file.path()};
  auto channel = troupe::channel::bounded<Chunk>(1);
  channel.second.close();
  wordfreq::PipelineStats stats;
  const std::size_t failed = wordfreq::read_inputs(inputs, channel.first, 100, stats,
                                                   [](const std::string&, std::error_code) {});
  EXPECT_EQ(failed, 0u);
  EXPECT_EQ(stats.chunks_sent.load(), 0u);
  EXPECT_LT(stats.bytes_read.load(), text.size());
}

}  // namespace
