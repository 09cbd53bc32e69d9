// Test sizes: the cheap default forms of our fault and load tests, or their full forms, which
// `tools/test --long` selects by setting LOCALSOCKET_LONG_TESTS=1 in the tests' environment
// (Bazel's --test_env).
#ifndef LOCALSOCKET_TESTING_LONG_TESTS_H_
#define LOCALSOCKET_TESTING_LONG_TESTS_H_

namespace ipc {
namespace test {

// The environment variable that selects the full forms.
inline constexpr char kLongTestsVariable[] = "LOCALSOCKET_LONG_TESTS";

// True when LOCALSOCKET_LONG_TESTS is "1". Reads the environment at each call; thread-safe as
// long as nobody changes the environment concurrently.
bool LongTestsEnabled();

// `short_form` by default, `long_form` when LongTestsEnabled().
template <typename T>
T ShortOrLong(T short_form, T long_form) {
  return LongTestsEnabled() ? long_form : short_form;
}

}  // namespace test
}  // namespace ipc

#endif  // LOCALSOCKET_TESTING_LONG_TESTS_H_
