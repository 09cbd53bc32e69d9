"""ls_cc_fuzz_target: a libFuzzer target that also builds, and replays its corpus, without clang.

    ls_cc_fuzz_target(
        name = "x_fuzzer",          # the source defines LLVMFuzzerTestOneInput
        srcs = ["x_fuzzer.cc"],
        deps = [...],
    )

defines, in the calling package:
  :x_fuzzer         the fuzzer, tagged "fuzz_target" (how tools/fuzz and CI find every fuzzer).
                    Under --config=fuzz (clang, libFuzzer, ASan) it links libFuzzer's main;
                    otherwise //tools/fuzzing:replay_main, which runs each file (or each file in
                    each directory) named on its command line once.
  :x_fuzzer_corpus  the seed corpus: the files under corpus/x_fuzzer/ beside the BUILD file.
  :x_fuzzer_test    a test of the default suite: the replay main run over the seed corpus. It
                    fails on a failed check, a sanitizer report, or an empty corpus.
"""

load("@rules_cc//cc:defs.bzl", "cc_test")
load("//tools/bazel:cc.bzl", "LOCALSOCKET_COPTS", "ls_cc_binary", "ls_cc_library")

_FUZZING = "//tools/bazel:fuzzing"
_REPLAY_MAIN = "//tools/fuzzing:replay_main"

def ls_cc_fuzz_target(name, srcs, deps = [], testonly = False, size = "small", tags = []):
    """A fuzz target, its seed corpus and its replay test (see the file comment).

    Args:
      name: the fuzzer's name; its seeds are in corpus/<name>/.
      srcs: the sources; one defines LLVMFuzzerTestOneInput.
      deps: what they use.
      testonly: True when deps are testonly (e.g. //testing).
      size: the replay test's size.
      tags: the replay test's tags.
    """
    library = name + "_lib"
    corpus = name + "_corpus"
    ls_cc_library(
        name = library,
        srcs = srcs,
        deps = deps,
        testonly = testonly,
        alwayslink = True,
    )
    ls_cc_binary(
        name = name,
        deps = [":" + library] + select({
            _FUZZING: [],
            "//conditions:default": [_REPLAY_MAIN],
        }),
        linkopts = select({
            _FUZZING: ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        testonly = testonly,
        tags = ["fuzz_target"],
    )
    native.filegroup(
        name = corpus,
        srcs = native.glob(["corpus/%s/*" % name]),
        testonly = testonly,
    )
    cc_test(
        name = name + "_test",
        size = size,
        copts = LOCALSOCKET_COPTS,
        args = ["$(rootpaths :%s)" % corpus],
        data = [":" + corpus],
        tags = tags,
        deps = [
            ":" + library,
            _REPLAY_MAIN,
        ],
    )
