// troupe-fuzz-seeds CORPUS_DIR: writes the seed corpora (see seeds.hpp)
// into CORPUS_DIR/<target>/, replacing what is there, so that the
// committed corpora are exactly what the real encoders make today. Run it
// (`cmake --build --preset fuzz --target fuzz-seeds`) after changing a
// .proto, the handshake or the IRC formatting, and commit the result.

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>

#include "seeds.hpp"

namespace {

namespace fs = std::filesystem;

void write_corpus(const fs::path& dir, const troupe::fuzz::Seeds& seeds) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  for (const auto& seed : seeds) {
    std::ofstream out(dir / seed.name, std::ios::binary);
    out.write(seed.bytes.data(), static_cast<std::streamsize>(seed.bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + (dir / seed.name).string());
  }
  std::printf("%s: %zu seeds\n", dir.string().c_str(), seeds.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  try {
    const fs::path root = argv[1];
    write_corpus(root / "envelope-fuzzer", troupe::fuzz::envelope_seeds());
    write_corpus(root / "irc-fuzzer", troupe::fuzz::irc_seeds());
    write_corpus(root / "remote-frame-fuzzer", troupe::fuzz::remote_frame_seeds());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "troupe-fuzz-seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}
