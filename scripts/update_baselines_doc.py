#!/usr/bin/python3
"""Regenerates the report sections of a markdown file from `rlfleet report` outputs.

Usage: update_baselines_doc.py [DOC]     (default: docs/baselines.md)

A section is everything between
    <!-- report PATH/report.md -->
and the next
    <!-- end report -->
(PATH relative to the repository root). It is replaced by that report.md with its image links
made relative to DOC's directory (a report that does not exist yet leaves its section as it is).
The images stay in the report's directory (docs/baselines/NAME/ for `--out
docs/baselines/NAME`): its learning curves and the picture of its best seed's policy,
strip_NAME.png (`rlfleet report`, docs/videos.md); a strip_*.png there that report.md does
not show (one made later by `rlfleet eval --strip`) is shown at the end of the section.
A summary section, everything between
    <!-- summary -->
and the next
    <!-- end summary -->
becomes one table row per report section of DOC, in the order of the sections: the config,
its algorithm, env and env-step budget (from the config file, with Debian's python3-yaml; a
`--set learner.total_env_steps=N` in the report's command wins), the report's target, how many
seeds reached it, and the interquartile means with their intervals, as the reports give them.
A report.md that is not in `rlfleet report`'s format is an error naming it.
Everything outside the markers is left as it is.
"""
import os
import re
import sys

import yaml

MARKER = re.compile(r"<!-- report (\S+) -->\n.*?<!-- end report -->", re.S)
SUMMARY = re.compile(r"<!-- summary -->\n.*?<!-- end summary -->", re.S)


def cells(line):
    """The cells of a markdown table row, stripped."""
    return [c.strip() for c in line.strip().strip("|").split("|")]


def steps_text(steps):
    """300000 -> 300k, 10000000 -> 10M, 1500000 -> 1.5M; anything but a number as it is."""
    try:
        steps = float(steps)
    except ValueError:
        return str(steps)
    if steps >= 1e6:
        return "%sM" % ("%.3g" % (steps / 1e6))
    return "%sk" % ("%.3g" % (steps / 1e3))


def summary_row(root, report, body):
    """The summary row of `report`, a report.md made by `rlfleet report` whose text is body."""
    lines = body.split("\n")
    command = next((l for l in lines if l.startswith("Command: `")), "")
    words = command[len("Command: `"):].rstrip("`").split()
    config = words[2] if len(words) > 2 and words[:2] == ["rlfleet", "report"] else ""
    algo = env = budget = "?"
    if config and os.path.exists(os.path.join(root, config)):
        with open(os.path.join(root, config)) as f:
            parsed = yaml.safe_load(f) or {}
        learner = parsed.get("learner") or {}
        algo = str(learner.get("algo", "?"))
        if learner.get("loss") not in (None, "vtrace"):
            algo += " (%s loss)" % learner["loss"]
        env = str((parsed.get("env") or {}).get("id", "?"))
        budget = learner.get("total_env_steps", "?")
    # A budget set on the command line wins over the config's.
    for i, word in enumerate(words[:-1]):
        if word == "--set" and words[i + 1].startswith("learner.total_env_steps="):
            budget = words[i + 1].split("=", 1)[1]
    try:
        header = next(cells(l) for l in lines if l.startswith("| seed |"))
        target_column = next(i for i, c in enumerate(header) if " ≥ " in c)
        seed_rows = [cells(l) for l in lines if re.match(r"\| \d+ \|", l)]
        reached = sum(1 for r in seed_rows if r[target_column] != "not reached")
        iqm = cells(next(l for l in lines if l.startswith("| **IQM**")))
    except (StopIteration, IndexError):
        sys.exit("%s: not a report of `rlfleet report` (no seed table with a target column, "
                 "seed rows and an IQM row)" % report)
    target = header[target_column].replace(" first at (env steps)", "")
    has_eval = "greedy evaluation at the end" in header
    return "| `%s` | %s | %s | %s | %s | %d of %d | %s | %s |" % (
        config or report, algo, env, steps_text(budget), target, reached, len(seed_rows), iqm[1],
        iqm[2] if has_eval else "")


def main():
    doc = sys.argv[1] if len(sys.argv) > 1 else "docs/baselines.md"
    root = os.getcwd()
    doc_dir = os.path.dirname(os.path.abspath(doc))
    with open(doc) as f:
        text = f.read()

    regenerated = []  # (report path, its report.md text), in the order of the sections

    def replace(match):
        report = match.group(1)
        if not os.path.exists(os.path.join(root, report)):
            print("%s: no %s yet; its section is left as it is" % (doc, report))
            return match.group(0)
        with open(os.path.join(root, report)) as f:
            body = f.read()
        report_dir = os.path.dirname(os.path.join(root, report))
        images = os.path.relpath(report_dir, doc_dir)
        body = re.sub(r"\]\(([^)/]+\.png)\)", lambda m: "](%s/%s)" % (images, m.group(1)), body)
        for strip in sorted(os.listdir(report_dir)):
            link = "%s/%s" % (images, strip)
            if re.fullmatch(r"strip_.+\.png", strip) and "](%s)" % link not in body:
                body += "\n![a greedy episode of the best seed's policy](%s)\n" % link
        regenerated.append((report, body))
        return "<!-- report %s -->\n%s<!-- end report -->" % (report, body)

    updated = MARKER.sub(replace, text)
    rows = [summary_row(root, report, body) for report, body in regenerated]
    table = "\n".join(
        ["| config | algorithm | env | env steps | target | seeds that reached it | "
         "IQM of the final mean return (last 100 episodes) [95% CI] | "
         "IQM of the greedy evaluation [95% CI] |",
         "|---|---|---|---|---|---|---|---|"] + rows)
    updated = SUMMARY.sub(lambda m: "<!-- summary -->\n%s\n<!-- end summary -->" % table,
                          updated)
    with open(doc, "w") as f:
        f.write(updated)
    print("%s: %d report section(s) regenerated" % (doc, len(regenerated)))


if __name__ == "__main__":
    main()
