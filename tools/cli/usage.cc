// The usage texts (declared in options.h).
#include "tools/cli/options.h"

namespace cli {
namespace {

constexpr char kGeneral[] =
    "usage: localsocket COMMAND NAME [OPTIONS] ...\n"
    "       localsocket [COMMAND] --help | --version\n"
    "\n"
    "Talks over Unix-domain stream sockets; built on the localsocket library.\n"
    "\n"
    "commands:\n"
    "  listen NAME         serve clients: print what they send, or echo it\n"
    "  connect NAME        bridge stdin and stdout to the server NAME\n"
    "  send NAME DATA...   send DATA, print the reply until the server closes\n"
    "  probe NAME          exit 0 if a server accepts connections on NAME\n"
    "\n"
    "NAME: a name starting with '/' is a path; any other name is placed in $TMPDIR (else\n"
    "/tmp); with --abstract it is a name in Linux's abstract namespace (no file).\n"
    "\n"
    "exit status: 0 success; 1 failure, its cause on stderr; 2 usage error.\n"
    "'localsocket COMMAND --help' describes a command.\n";

constexpr char kListen[] =
    "usage: localsocket listen NAME [--echo | --raw] [--abstract]\n"
    "                          [--mode user|group|other|world] [--max-clients N]\n"
    "                          [--peer-info]\n"
    "\n"
    "Serves clients until SIGINT or SIGTERM, then removes its socket file and exits 0.\n"
    "Prints \"listening on PATH\" on stderr once it accepts connections. Each file\n"
    "descriptor a client passes (SCM_RIGHTS) is printed as \"[N] fd: TARGET\" (what\n"
    "/proc/self/fd shows for it), then closed: on stdout, where that client's next line\n"
    "starts (with --raw on stderr, so that stdout keeps the bytes unchanged).\n"
    "\n"
    "  (default)          print what clients send on stdout, each line prefixed by \"[N] \"\n"
    "                     (N = the client's number, from 1); a last line without a newline\n"
    "                     gets one when its client leaves\n"
    "  --raw              print the bytes unchanged, without prefixes\n"
    "  --echo             send every byte back to its client instead of printing it\n"
    "  --abstract         listen in Linux's abstract namespace\n"
    "  --mode M           socket file access: user (0700), group (0070), other (0007) or\n"
    "                     world (0777); default: as the umask allows\n"
    "  --max-clients N    serve at most N clients at once; others wait until one leaves\n"
    "  --peer-info        on stderr, each client's process as the kernel saw it connect:\n"
    "                     \"[N] peer pid P, uid U, gid G\"\n"
    "\n"
    "exit status: 0 after SIGINT/SIGTERM; 1 when it cannot listen; 2 usage error.\n";

constexpr char kConnect[] =
    "usage: localsocket connect NAME [--abstract] [--timeout MS]\n"
    "\n"
    "Bridges stdin and stdout to the server NAME, binary-safe: what stdin gives is sent, what\n"
    "the server sends is printed. stdin is read no faster than the socket drains. At the end\n"
    "of stdin the sending side is shut down (a half-close) and printing goes on until the\n"
    "server closes.\n"
    "\n"
    "  --abstract         connect in Linux's abstract namespace\n"
    "  --timeout MS       give up connecting after MS milliseconds (default 30000)\n"
    "\n"
    "exit status: 0 when the server closed after everything read from stdin was sent;\n"
    "1 on a failure (server not found, connection refused, permission denied, timed out,\n"
    "peer closed early); 2 usage error.\n";

constexpr char kSend[] =
    "usage: localsocket send NAME [--abstract] [--timeout MS] [--fd PATH]... [-n] DATA...\n"
    "       localsocket send NAME [--abstract] [--timeout MS] [--fd PATH]... -\n"
    "\n"
    "Sends DATA (the arguments joined by single spaces, plus a newline), shuts down the\n"
    "sending side, and prints the reply until the server closes. '-' alone sends stdin.\n"
    "Put '--' before DATA that starts with '-'.\n"
    "\n"
    "  -n                 no newline after DATA\n"
    "  --fd PATH          open PATH read-only and pass its file descriptor with the first\n"
    "                     byte of the data (SCM_RIGHTS); repeatable, at most 253 times\n"
    "  --abstract         connect in Linux's abstract namespace\n"
    "  --timeout MS       fail with \"timed out\" unless the server closes within MS\n"
    "                     milliseconds (default: wait for the close)\n"
    "\n"
    "exit status: 0 when the server closed after everything was sent; 1 on a failure\n"
    "(server not found, connection refused, permission denied, timed out, peer closed\n"
    "early); 2 usage error.\n";

constexpr char kProbe[] =
    "usage: localsocket probe NAME [--abstract] [--timeout MS]\n"
    "\n"
    "Checks whether a server accepts connections on NAME; prints nothing on success.\n"
    "\n"
    "  --abstract         probe in Linux's abstract namespace\n"
    "  --timeout MS       give up connecting after MS milliseconds (default 30000)\n"
    "\n"
    "exit status: 0 when a server accepts; 1 when none does, the reason on stderr; 2 usage\n"
    "error.\n";

}  // namespace

const char* CommandWord(Command command) {
  switch (command) {
    case Command::kNone:
      return "";
    case Command::kListen:
      return "listen";
    case Command::kConnect:
      return "connect";
    case Command::kSend:
      return "send";
    case Command::kProbe:
      return "probe";
  }
  return "";
}

std::string UsageText(Command command) {
  switch (command) {
    case Command::kNone:
      return kGeneral;
    case Command::kListen:
      return kListen;
    case Command::kConnect:
      return kConnect;
    case Command::kSend:
      return kSend;
    case Command::kProbe:
      return kProbe;
  }
  return kGeneral;
}

std::string SynopsisText(Command command) {
  const std::string usage = UsageText(command);
  const std::string program =
      "localsocket" + std::string(command == Command::kNone ? "" : " ") + CommandWord(command);
  return usage.substr(0, usage.find("\n\n") + 1) + "('" + program + " --help' explains more)\n";
}

}  // namespace cli
