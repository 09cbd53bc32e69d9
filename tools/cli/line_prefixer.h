// Prefixes every line of a byte stream with "[N] ", chunk by chunk (a line may span chunks).
#ifndef LOCALSOCKET_TOOLS_CLI_LINE_PREFIXER_H_
#define LOCALSOCKET_TOOLS_CLI_LINE_PREFIXER_H_

#include <string>
#include <string_view>

namespace cli {

class LinePrefixer {
 public:
  // Lines will read "[number] ...".
  explicit LinePrefixer(int number);

  // Appends `chunk` to `out`, with the prefix before each line that starts in it.
  void Feed(std::string_view chunk, std::string& out);
  // Appends a newline to `out` if the last line has none yet (the stream ended).
  void Finish(std::string& out);
  // True when the next byte fed starts a line.
  bool at_line_start() const { return at_line_start_; }

 private:
  std::string prefix_;
  bool at_line_start_ = true;
};

}  // namespace cli

#endif  // LOCALSOCKET_TOOLS_CLI_LINE_PREFIXER_H_
