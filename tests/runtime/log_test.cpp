// The framework's log (runtime/log.hpp): one process-wide hook, stderr by
// default. (What the actors send through it: supervision_test.cpp.)

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <troupe/runtime/log.hpp>

namespace log_test {

struct Captured {
  troupe::LogLevel level;
  std::string component;
  std::string message;
};

// Installs a hook that keeps every record, and takes it out again.
class CaptureLog {
 public:
  CaptureLog() {
    troupe::set_log_hook([this](const troupe::LogRecord& r) {
      std::lock_guard lock(mutex_);
      records_.push_back({r.level, std::string(r.component), std::string(r.message)});
    });
  }
  ~CaptureLog() { troupe::set_log_hook({}); }
  std::vector<Captured> records() {
    std::lock_guard lock(mutex_);
    return records_;
  }

 private:
  std::mutex mutex_;
  std::vector<Captured> records_;
};

TEST(Log, TheHookGetsEveryRecordAndAnEmptyOneRestoresStderr) {
  {
    CaptureLog capture;
    troupe::log(troupe::LogLevel::kWarning, "remote 127.0.0.1:1", "refused a stranger");
    troupe::log(troupe::LogLevel::kDebug, "runtime", "details");
    const auto got = capture.records();
    ASSERT_EQ(got.size(), 2u) << "the hook sees debug lines too";
    EXPECT_EQ(got[0].level, troupe::LogLevel::kWarning);
    EXPECT_EQ(got[0].component, "remote 127.0.0.1:1");
    EXPECT_EQ(got[0].message, "refused a stranger");
    EXPECT_EQ(got[1].level, troupe::LogLevel::kDebug);
  }
  testing::internal::CaptureStderr();
  troupe::log(troupe::LogLevel::kError, "actor", "actor 7 stopped: failed: boom");
  troupe::log(troupe::LogLevel::kDebug, "actor", "not shown");
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "troupe error [actor] actor 7 stopped: failed: boom\n");
}

TEST(Log, AHookThatThrowsDoesNotReachTheCaller) {
  troupe::set_log_hook([](const troupe::LogRecord&) { throw std::runtime_error("full disk"); });
  EXPECT_NO_THROW(troupe::log(troupe::LogLevel::kInfo, "test", "line"));
  troupe::set_log_hook({});
}

}  // namespace log_test
