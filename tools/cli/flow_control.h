// The tool's back-pressure limit, shared by its clients and its echoing server.
#ifndef LOCALSOCKET_TOOLS_CLI_FLOW_CONTROL_H_
#define LOCALSOCKET_TOOLS_CLI_FLOW_CONTROL_H_

#include <cstdint>

namespace cli {

// More input is taken (from stdin, or from an echoed client) only while fewer bytes than
// this wait unsent in the socket's write buffer; the rest stays with the kernel, which then
// holds the sender back.
inline constexpr int64_t kMaxUnsentBytes = int64_t{256} * 1024;

}  // namespace cli

#endif  // LOCALSOCKET_TOOLS_CLI_FLOW_CONTROL_H_
