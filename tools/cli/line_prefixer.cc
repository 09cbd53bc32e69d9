#include "tools/cli/line_prefixer.h"

namespace cli {

LinePrefixer::LinePrefixer(int number) : prefix_("[" + std::to_string(number) + "] ") {}

void LinePrefixer::Feed(std::string_view chunk, std::string& out) {
  while (!chunk.empty()) {
    if (at_line_start_) out += prefix_;
    const size_t newline = chunk.find('\n');
    const size_t length = newline == std::string_view::npos ? chunk.size() : newline + 1;
    out.append(chunk.data(), length);
    at_line_start_ = newline != std::string_view::npos;
    chunk.remove_prefix(length);
  }
}

void LinePrefixer::Finish(std::string& out) {
  if (!at_line_start_) out += '\n';
  at_line_start_ = true;
}

}  // namespace cli
