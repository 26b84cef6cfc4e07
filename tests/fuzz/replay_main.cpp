// Replays a fuzz target's corpus without libFuzzer: every file under the given folders (or the
// given files) is fed to LLVMFuzzerTestOneInput once. Used as a ctest in non-fuzz builds.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

int replay_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << "cannot read " << path << "\n";
    return 1;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int files = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(arg)) {
        if (entry.is_regular_file()) {
          if (replay_file(entry.path()) != 0) {
            return 1;
          }
          ++files;
        }
      }
    } else {
      if (replay_file(arg) != 0) {
        return 1;
      }
      ++files;
    }
  }
  if (files == 0) {
    std::cerr << "no corpus files replayed\n";
    return 1;
  }
  std::cout << "replayed " << files << " inputs\n";
  return 0;
}
