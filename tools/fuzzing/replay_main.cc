// The main() of a fuzz target built without libFuzzer (any build but --config=fuzz): runs
// LLVMFuzzerTestOneInput once on each file named on the command line and on each regular file
// in each named directory (in name order, not recursive). A failing check aborts, after the
// file's name was printed. Exits 1 when a file cannot be read or when there was no input at
// all, so a missing or empty corpus cannot pass.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Optional, as in libFuzzer: called once before the first input.
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

// The files to replay for one command-line argument, or false when it names neither a file
// nor a directory.
bool CollectInputs(const std::string& arg, std::vector<std::string>* files) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::is_directory(arg, error)) {
    std::vector<std::string> found;
    for (const fs::directory_entry& entry : fs::directory_iterator(arg, error)) {
      if (entry.is_regular_file(error)) found.push_back(entry.path().string());
    }
    if (error) return false;
    std::sort(found.begin(), found.end());
    files->insert(files->end(), found.begin(), found.end());
    return true;
  }
  if (!fs::is_regular_file(arg, error)) return false;
  files->push_back(arg);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    if (!CollectInputs(argv[i], &files)) {
      std::fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
      return 1;
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "replay: no input (usage: %s FILE_OR_DIRECTORY...)\n", argv[0]);
    return 1;
  }
  for (const std::string& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    if (in.bad()) {
      std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
      return 1;
    }
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", file.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("replay: %zu inputs, all passed\n", files.size());
  return 0;
}
