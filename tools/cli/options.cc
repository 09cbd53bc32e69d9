#include "tools/cli/options.h"

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "ipc/local_server.h"

namespace cli {
namespace {

// The command named `word`, or nullopt.
std::optional<Command> CommandNamed(std::string_view word) {
  for (Command command : {Command::kListen, Command::kConnect, Command::kSend, Command::kProbe}) {
    if (word == CommandWord(command)) return command;
  }
  return std::nullopt;
}

// `text` as a decimal int >= min, or nullopt.
std::optional<int> ParseInt(const std::string& text, int min) {
  int value = 0;
  const char* const end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || value < min) return std::nullopt;
  return value;
}

// The most fds one message carries (the kernel's limit, as LocalSocket::WriteWithFds).
constexpr size_t kMaxPassedFds = 253;

// The ipc::LocalServer access bits `--mode` names, or nullopt.
std::optional<uint32_t> AccessNamed(std::string_view word) {
  if (word == "user") return ipc::LocalServer::kUserAccess;
  if (word == "group") return ipc::LocalServer::kGroupAccess;
  if (word == "other") return ipc::LocalServer::kOtherAccess;
  if (word == "world") return ipc::LocalServer::kWorldAccess;
  return std::nullopt;
}

// Walks argv once, filling a ParseResult; keeps the first error.
class Parser {
 public:
  Parser(int argc, const char* const* argv) : args_(argv + 1, argv + (argc > 0 ? argc : 1)) {}

  ParseResult Run() {
    for (next_ = 0; next_ < args_.size();) {
      const std::string arg = args_[next_++];
      if (options_done_ || arg == "-" || arg.size() < 2 || arg[0] != '-') {
        Positional(arg);
      } else if (arg == "--") {
        options_done_ = true;
      } else {
        Option(arg);
      }
    }
    Finish();
    if (options().help || options().version) result_.error.clear();
    return std::move(result_);
  }

 private:
  Options& options() { return result_.options; }

  void Fail(const std::string& message) {
    if (result_.error.empty()) result_.error = message;
  }

  void Positional(const std::string& arg) {
    if (options().command == Command::kNone) {
      if (std::optional<Command> command = CommandNamed(arg)) {
        options().command = *command;
      } else {
        Fail("unknown command '" + arg + "'");
      }
    } else if (!has_name_) {
      options().name = arg;
      has_name_ = true;
    } else if (options().command == Command::kSend) {
      options().data.push_back(arg);
    } else {
      Fail("unexpected argument '" + arg + "'");
    }
  }

  // The value of an option that takes one: after '=' or the next argument.
  std::optional<std::string> Value(const std::string& option,
                                   const std::optional<std::string>& inline_value) {
    if (inline_value) return inline_value;
    if (next_ < args_.size()) return args_[next_++];
    Fail("option " + option + " needs a value");
    return std::nullopt;
  }

  bool Accepts(const std::string& option) const {
    const Command c = result_.options.command;
    if (option == "--abstract") return c != Command::kNone;
    if (option == "--timeout") {
      return c == Command::kConnect || c == Command::kSend || c == Command::kProbe;
    }
    if (option == "-n" || option == "--fd") return c == Command::kSend;
    return c == Command::kListen &&
           (option == "--echo" || option == "--raw" || option == "--mode" ||
            option == "--max-clients" || option == "--peer-info");
  }

  void Option(const std::string& arg) {
    std::string option = arg;
    std::optional<std::string> inline_value;
    if (const size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      option = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    if (option == "--help" || option == "-h") {
      options().help = true;
    } else if (option == "--version") {
      options().version = true;
    } else if (!Accepts(option)) {
      Fail("unknown option '" + arg + "'");
    } else if (option == "--abstract") {
      options().abstract = true;
    } else if (option == "-n") {
      options().newline = false;
    } else if (option == "--peer-info") {
      options().peer_info = true;
    } else if (option == "--echo" || option == "--raw") {
      const ListenOutput output = option == "--echo" ? ListenOutput::kEcho : ListenOutput::kRaw;
      if (options().output != ListenOutput::kPrefixed && options().output != output) {
        Fail("--echo and --raw exclude each other");
      }
      options().output = output;
    } else if (std::optional<std::string> value = Value(option, inline_value)) {
      ValuedOption(option, *value);
    }
  }

  void ValuedOption(const std::string& option, const std::string& value) {
    if (option == "--fd") {
      if (value.empty()) return Fail("--fd takes a path");
      options().fd_paths.push_back(value);
    } else if (option == "--mode") {
      std::optional<uint32_t> access = AccessNamed(value);
      if (!access) return Fail("--mode takes user, group, other or world, not '" + value + "'");
      options().access = *access;
    } else if (std::optional<int> number = ParseInt(value, option == "--timeout" ? 0 : 1)) {
      (option == "--timeout" ? options().timeout_ms : options().max_clients) = *number;
    } else {
      Fail(option +
           (option == "--timeout" ? " takes milliseconds (0 or more), not '"
                                  : " takes a number (1 or more), not '") +
           value + "'");
    }
  }

  void Finish() {
    const Options& o = options();
    if (o.command == Command::kNone) return Fail("missing COMMAND");
    if (!has_name_) return Fail("missing NAME");
    if (o.abstract && o.access != 0) Fail("--mode has no effect with --abstract");
    if (o.command != Command::kSend) return;
    if (o.data.empty()) Fail("missing DATA");
    if (o.fd_paths.size() > kMaxPassedFds) {
      Fail("at most " + std::to_string(kMaxPassedFds) + " --fd (one message's limit)");
    }
    if (o.data.size() > 1 && std::find(o.data.begin(), o.data.end(), "-") != o.data.end()) {
      Fail("'-' (stdin) must be the only DATA");
    }
    if (o.data == std::vector<std::string>{"-"} && !o.newline) Fail("-n makes no sense with '-'");
  }

  std::vector<std::string> args_;
  size_t next_ = 0;
  bool options_done_ = false;
  bool has_name_ = false;
  ParseResult result_;
};

}  // namespace

ParseResult ParseCommandLine(int argc, const char* const* argv) { return Parser(argc, argv).Run(); }

}  // namespace cli
