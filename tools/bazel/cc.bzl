"""cc_* wrappers that carry the flags every localsocket target needs.

The flags live here rather than in .bazelrc because a workspace that consumes localsocket as an
external repository does not read our .bazelrc.
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

LOCALSOCKET_COPTS = ["-std=c++17"]

def ls_cc_library(name, copts = [], **kwargs):
    cc_library(name = name, copts = LOCALSOCKET_COPTS + copts, **kwargs)

def ls_cc_binary(name, copts = [], **kwargs):
    cc_binary(name = name, copts = LOCALSOCKET_COPTS + copts, **kwargs)

def ls_cc_test(name, copts = [], deps = [], **kwargs):
    """A gtest target: links gtest_main unless `deps` already has a main."""
    cc_test(
        name = name,
        copts = LOCALSOCKET_COPTS + copts,
        deps = deps + ["@googletest//:gtest_main"],
        **kwargs
    )
