// The seed corpora, made by troupe-fuzz-seeds from the real encoders so
// that they stay valid when a .proto or the IRC formatting changes: a few
// well-formed inputs for each target, and the hostile shapes a fuzzer
// would take long to find by itself.
#pragma once

#include <string>
#include <vector>

namespace troupe::fuzz {

/// One corpus file: its name says what it is.
struct Seed {
  std::string name;
  std::string bytes;
};
using Seeds = std::vector<Seed>;

Seeds envelope_seeds();      // corpus/envelope-fuzzer
Seeds irc_seeds();           // corpus/irc-fuzzer
Seeds remote_frame_seeds();  // corpus/remote-frame-fuzzer

}  // namespace troupe::fuzz
