#!/usr/bin/python3
"""Regenerates the report sections of a markdown file from `rlfleet report` outputs.

Usage: update_baselines_doc.py [DOC]     (default: docs/baselines.md)

A section is everything between
    <!-- report PATH/report.md -->
and the next
    <!-- end report -->
(PATH relative to the repository root). It is replaced by that report.md with its image links
made relative to DOC's directory (a report that does not exist yet leaves its section as it is).
Everything outside the markers is left as it is.
"""
import os
import re
import sys

MARKER = re.compile(r"<!-- report (\S+) -->\n.*?<!-- end report -->", re.S)


def main():
    doc = sys.argv[1] if len(sys.argv) > 1 else "docs/baselines.md"
    root = os.getcwd()
    doc_dir = os.path.dirname(os.path.abspath(doc))
    with open(doc) as f:
        text = f.read()

    regenerated = []

    def replace(match):
        report = match.group(1)
        if not os.path.exists(os.path.join(root, report)):
            print("%s: no %s yet; its section is left as it is" % (doc, report))
            return match.group(0)
        with open(os.path.join(root, report)) as f:
            body = f.read()
        images = os.path.relpath(os.path.dirname(os.path.join(root, report)), doc_dir)
        body = re.sub(r"\]\(([^)/]+\.png)\)", lambda m: "](%s/%s)" % (images, m.group(1)), body)
        regenerated.append(report)
        return "<!-- report %s -->\n%s<!-- end report -->" % (report, body)

    updated = MARKER.sub(replace, text)
    with open(doc, "w") as f:
        f.write(updated)
    print("%s: %d report section(s) regenerated" % (doc, len(regenerated)))


if __name__ == "__main__":
    main()
