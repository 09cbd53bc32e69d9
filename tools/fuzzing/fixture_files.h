// Files for fuzzers that pass descriptors: empty regular files on a FakeKernel, opened
// read-only, so that every fd a socket passes or receives points at a known inode.
#ifndef LOCALSOCKET_TOOLS_FUZZING_FIXTURE_FILES_H_
#define LOCALSOCKET_TOOLS_FUZZING_FIXTURE_FILES_H_

#include <vector>

#include "testing/fake_kernel.h"

namespace fuzz {

// Creates /tmp/file0 .. /tmp/file<count - 1> on `kernel` and returns their descriptors, in
// that order; the caller closes them (or lets the kernel go). Aborts (FUZZ_CHECK) if the
// kernel refuses, e.g. at its descriptor limit. Single-threaded, as the kernel is.
std::vector<int> OpenFixtureFiles(ipc::FakeKernel& kernel, int count);

}  // namespace fuzz

#endif  // LOCALSOCKET_TOOLS_FUZZING_FIXTURE_FILES_H_
