// The localsocket tool's command line: what each command accepts, parsed into Options.
#ifndef LOCALSOCKET_TOOLS_CLI_OPTIONS_H_
#define LOCALSOCKET_TOOLS_CLI_OPTIONS_H_

#include <cstdint>
#include <string>
#include <vector>

namespace cli {

// The subcommands, and the two requests that need none.
enum class Command { kNone, kListen, kConnect, kSend, kProbe };

// What `listen` does with the bytes a client sends.
enum class ListenOutput {
  kPrefixed,  // to stdout, each line prefixed by "[N] " (N = the client's number)
  kRaw,       // to stdout, unchanged
  kEcho,      // back to the client
};

// Everything the command line asked for. Fields a command does not accept keep their
// defaults.
struct Options {
  Command command = Command::kNone;
  bool help = false;      // --help: print the usage of `command` (or the general one)
  bool version = false;   // --version
  std::string name;       // NAME: the socket's path or name
  bool abstract = false;  // --abstract: Linux's abstract namespace
  int timeout_ms = -1;    // --timeout MS; -1 = none given
  // listen
  ListenOutput output = ListenOutput::kPrefixed;
  uint32_t access = 0;     // --mode: ipc::LocalServer access bits; 0 = the umask decides
  int max_clients = 0;     // --max-clients N; 0 = no limit
  bool peer_info = false;  // --peer-info: print each client's pid, uid and gid
  // send
  bool newline = true;                // false with -n
  std::vector<std::string> data;      // DATA... ("-" alone: stdin)
  std::vector<std::string> fd_paths;  // --fd PATH...: files whose fds go with the data
};

// The outcome of parsing: Options, or a one-line message for a usage error.
struct ParseResult {
  Options options;
  std::string error;  // empty on success
};

// Parses argv (argv[0] is the program). Options may follow the command in any order; "--"
// ends them. --help and --version win over any other error after them as before them.
ParseResult ParseCommandLine(int argc, const char* const* argv);

// The word that names `command` on the command line ("" for kNone).
const char* CommandWord(Command command);

// The usage text of `command` (Command::kNone: the general one), ending with a newline.
std::string UsageText(Command command);

// The first lines of UsageText (the synopsis), then a line pointing to --help.
std::string SynopsisText(Command command);

}  // namespace cli

#endif  // LOCALSOCKET_TOOLS_CLI_OPTIONS_H_
