#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/channels/detail/channel_queue.hpp>

namespace channel_queue_test {

using troupe::detail::MutexQueue;
using troupe::detail::pop_claimed;

/// Move-only and not default-constructible: what the queues must accept.
class Token {
 public:
  explicit Token(int v) : v_(std::make_unique<int>(v)) {}
  int value() const { return *v_; }

 private:
  std::unique_ptr<int> v_;
};

/// One queue implementation, for any item type.
template <template <class> class Q>
struct Kind {
  template <class T>
  using Queue = Q<T>;
};

// Both implementations behind ChannelQueue. moodycamel is left out of builds
// that use the mutex queue: those are the TSan builds, where its fences
// would be reported as races.
#ifdef TROUPE_CHANNEL_MUTEX_QUEUE
using Kinds = ::testing::Types<Kind<MutexQueue>>;
#else
using Kinds = ::testing::Types<Kind<MutexQueue>, Kind<troupe::detail::MoodycamelQueue>>;
#endif

template <class K>
class ChannelQueueTest : public ::testing::Test {};
TYPED_TEST_SUITE(ChannelQueueTest, Kinds);

TYPED_TEST(ChannelQueueTest, AMoveOnlyValueGoesInAndComesOut) {
  typename TypeParam::template Queue<Token> q;
  std::optional<Token> out;
  EXPECT_FALSE(q.try_pop(out));
  q.push(Token(7));
  ASSERT_TRUE(q.try_pop(out));
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->value(), 7);
  out.reset();
  EXPECT_FALSE(q.try_pop(out));
  EXPECT_FALSE(out.has_value());
}

TYPED_TEST(ChannelQueueTest, ItemsFromOneThreadComeOutInOrder) {
  typename TypeParam::template Queue<Token> q;
  for (int i = 0; i < 100; ++i) q.push(Token(i));
  for (int i = 0; i < 100; ++i) {
    std::optional<Token> out;
    pop_claimed(q, out);
    EXPECT_EQ(out->value(), i);
  }
}

TYPED_TEST(ChannelQueueTest, ItemsLeftInsideAreDestroyedWithTheQueue) {
  auto probe = std::make_shared<int>(0);
  {
    // Items are copies of `probe`: its use count shows whether they died.
    typename TypeParam::template Queue<std::shared_ptr<int>> q;
    for (int i = 0; i < 10; ++i) q.push(std::shared_ptr<int>(probe));
    EXPECT_EQ(probe.use_count(), 11);
  }
  EXPECT_EQ(probe.use_count(), 1);
}

// One ProducerToken used by one thread after another (each handing it on,
// as a Sender moves with its task between workers): its items still come
// out in the order they went in, behind those of other producers or not.
TYPED_TEST(ChannelQueueTest, ItemsPushedThroughOneTokenComeOutInOrderWhateverTheThread) {
  using Queue = typename TypeParam::template Queue<Token>;
  Queue q;
  typename Queue::ProducerToken token(q);
  q.push(Token(-1));  // an item of the test thread's own sub-queue, first
  for (int t = 0; t < 4; ++t) {
    std::thread([&, t] {
      for (int i = 0; i < 50; ++i) q.push(token, Token(t * 50 + i));
    }).join();  // join: the next thread's pushes come after these
  }
  typename Queue::ConsumerToken consumer(q);
  std::vector<int> got;
  std::optional<Token> out;
  while (q.try_pop(consumer, out)) {
    got.push_back(out->value());
    out.reset();
  }
  ASSERT_EQ(got.size(), 201u);
  int expected = 0;
  for (int v : got) {
    if (v == -1) continue;
    EXPECT_EQ(v, expected++);
  }
}

// Tokens go before their queue, as a channel's handles destroy theirs; the
// items a token's sub-queue still holds are destroyed with the queue.
TYPED_TEST(ChannelQueueTest, ItemsOfADestroyedTokenStayReceivableAndDieWithTheQueue) {
  using Queue = typename TypeParam::template Queue<std::shared_ptr<int>>;
  auto probe = std::make_shared<int>(0);
  {
    Queue q;
    {
      typename Queue::ProducerToken a(q);
      typename Queue::ProducerToken b(q);
      for (int i = 0; i < 3; ++i) q.push(a, std::shared_ptr<int>(probe));
      for (int i = 0; i < 3; ++i) q.push(b, std::shared_ptr<int>(probe));
    }
    std::optional<std::shared_ptr<int>> out;
    {
      typename Queue::ConsumerToken c(q);
      pop_claimed(q, &c, out);
    }
    out.reset();
    EXPECT_EQ(probe.use_count(), 6);
    typename Queue::ProducerToken again(q);  // may reuse a's or b's sub-queue
    q.push(again, std::shared_ptr<int>(probe));
    EXPECT_EQ(probe.use_count(), 7);
  }
  EXPECT_EQ(probe.use_count(), 1);
}

// Producers push while consumers pop exactly as many items as were pushed,
// each pop standing for a claimed item: every value arrives exactly once.
TYPED_TEST(ChannelQueueTest, ConcurrentPushesAndClaimedPopsDeliverEveryItemOnce) {
  constexpr int kProducers = 3;
  constexpr int kPerProducer = 20'000;
  typename TypeParam::template Queue<Token> q;
  std::atomic<int> published{0};
  std::vector<std::atomic<std::uint8_t>> seen(kProducers * kPerProducer);
  std::atomic<int> claims{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < kProducers; ++p) {
    threads.emplace_back([&, p] {
      // Half the producers through a token, half through their thread's
      // sub-queue.
      std::optional<typename TypeParam::template Queue<Token>::ProducerToken> token;
      if (p % 2 == 0) token.emplace(q);
      for (int i = 0; i < kPerProducer; ++i) {
        if (token) {
          q.push(*token, Token(p * kPerProducer + i));
        } else {
          q.push(Token(p * kPerProducer + i));
        }
        published.fetch_add(1);  // like the state word: count after the push
      }
    });
  }
  for (int c = 0; c < 2; ++c) {
    threads.emplace_back([&, c] {
      std::optional<typename TypeParam::template Queue<Token>::ConsumerToken> token;
      if (c == 0) token.emplace(q);
      for (;;) {
        // Claim one of the published items, as a receiver does.
        int n = claims.load();
        if (n == kProducers * kPerProducer) return;
        if (n >= published.load()) {
          std::this_thread::yield();  // nothing published yet: let a producer run
          continue;
        }
        if (!claims.compare_exchange_weak(n, n + 1)) continue;
        std::optional<Token> out;
        pop_claimed(q, token ? &*token : nullptr, out);
        seen[out->value()].fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& s : seen) ASSERT_EQ(s.load(), 1);
}

}  // namespace channel_queue_test
