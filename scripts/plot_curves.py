#!/usr/bin/python3
"""Draws one learning-curve CSV of `rlfleet report` as a PNG.

Usage: plot_curves.py CSV PNG X_LABEL Y_LABEL TITLE

CSV columns: x, iqm, low, high, then seed_<n> per seed (empty cells: no value there). Draws the
interquartile mean over seeds as a line, its bootstrap interval as a band, and each seed as a
thin line. Runs with Debian's /usr/bin/python3 and python3-matplotlib (scripts/setup.sh installs
it).
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def column(rows, index):
    """(x, y) pairs of one column, leaving out empty cells."""
    points = [(float(r[0]), float(r[index])) for r in rows if index < len(r) and r[index] != ""]
    return [p[0] for p in points], [p[1] for p in points]


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    csv_path, png_path, x_label, y_label, title = sys.argv[1:]
    with open(csv_path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    for index in range(4, len(header)):
        x, y = column(rows, index)
        ax.plot(x, y, linewidth=0.7, alpha=0.45, label=header[index].replace("_", " "))
    band = [(float(r[0]), float(r[2]), float(r[3])) for r in rows if r[2] != "" and r[3] != ""]
    if band:
        ax.fill_between([b[0] for b in band], [b[1] for b in band], [b[2] for b in band],
                        color="tab:blue", alpha=0.25, linewidth=0, label="95% CI of the IQM")
    x, y = column(rows, 1)
    ax.plot(x, y, color="tab:blue", linewidth=2.0, label="IQM over seeds")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    fig.savefig(png_path)


if __name__ == "__main__":
    main()
