"""Turns the C++ snippets of README.md into source files that the build compiles.

Usage: extract.py README OUT_DIR COUNT

Snippet N (the N-th ```cpp block) becomes OUT_DIR/snippet_N.cc: the snippet's #include lines,
then a function ReadmeSnippetN() whose body is the rest of the snippet. What a snippet uses
without declaring it comes from prelude_N.inc beside this script (its #include lines go to
the top, the other lines open the function body). Fails when README.md does not hold exactly
COUNT snippets, so that a new snippet cannot go unchecked.
"""

import os
import re
import sys


def snippets(readme_text):
    return re.findall(r"^```cpp\n(.*?)^```$", readme_text, flags=re.S | re.M)


def split_includes(text):
    lines = text.splitlines()
    includes = [line for line in lines if line.startswith("#include")]
    body = [line for line in lines if not line.startswith("#include")]
    return includes, body


def main(readme, out_dir, count):
    with open(readme) as f:
        found = snippets(f.read())
    if len(found) != count:
        sys.exit(
            "README.md has %d C++ snippets, tools/readme_snippets/BUILD.bazel expects %d: "
            "update SNIPPET_COUNT (and add a prelude_N.inc if the snippet needs one)"
            % (len(found), count))
    here = os.path.dirname(os.path.abspath(__file__))
    for n, snippet in enumerate(found, start=1):
        prelude_path = os.path.join(here, "prelude_%d.inc" % n)
        prelude = ""
        if os.path.exists(prelude_path):
            with open(prelude_path) as f:
                prelude = f.read()
        prelude_includes, prelude_body = split_includes(prelude)
        includes, body = split_includes(snippet)
        out = ["// Generated from README.md's C++ snippet %d by tools/readme_snippets/extract.py."
               % n]
        out += sorted(set(includes + prelude_includes))
        out += ["", "void ReadmeSnippet%d() {" % n]
        out += prelude_body + body
        out += ["}", ""]
        with open(os.path.join(out_dir, "snippet_%d.cc" % n), "w") as f:
            f.write("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
