// Invariant checks for fuzz targets. A failed check prints what failed and aborts: libFuzzer
// reports the abort as a crash and saves the input; the replay test fails on it.
#ifndef LOCALSOCKET_TOOLS_FUZZING_FUZZ_CHECK_H_
#define LOCALSOCKET_TOOLS_FUZZING_FUZZ_CHECK_H_

#include <sstream>
#include <string>
#include <string_view>

namespace fuzz {

// Prints "<file>:<line>: check failed: <condition>" and `detail` (if any) on stderr, then
// aborts. Thread-safe as stderr is.
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const std::string& detail);

// A printable form of a value for a failure message: strings are quoted, escaped and cut after
// 64 bytes (with their size); anything else is streamed.
std::string Describe(std::string_view value);
inline std::string Describe(const std::string& value) { return Describe(std::string_view{value}); }
inline std::string Describe(const char* value) { return Describe(std::string_view{value}); }
template <typename T>
std::string Describe(const T& value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// FUZZ_CHECK_EQ's work: calls CheckFailed with both values unless a == b.
template <typename A, typename B>
void CheckEqual(const A& a, const B& b, const char* file, int line, const char* condition) {
  if (!(a == b)) CheckFailed(file, line, condition, Describe(a) + " vs " + Describe(b));
}

}  // namespace fuzz

// Aborts (fuzz::CheckFailed) unless `condition` holds.
#define FUZZ_CHECK(condition)                                                  \
  do {                                                                         \
    if (!(condition)) ::fuzz::CheckFailed(__FILE__, __LINE__, #condition, ""); \
  } while (false)

// Aborts unless a == b, printing both values.
#define FUZZ_CHECK_EQ(a, b) ::fuzz::CheckEqual((a), (b), __FILE__, __LINE__, #a " == " #b)

#endif  // LOCALSOCKET_TOOLS_FUZZING_FUZZ_CHECK_H_
