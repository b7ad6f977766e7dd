"""IPython start-up file: record every figure a lesson renders (see ``scripts/site.py``).

Copied into ``$IPYTHONDIR/profile_default/startup/``; the kernel runs it before the lesson. Each
figure that reaches a canvas (the inline backend's display or ``savefig``) is described in a JSON
line in ``$MLCOURSE_FIGURE_LOG``: its cell, titles, axis labels, and each labelled artist's colour,
line style and marker. tests/install checks the lessons' accessibility rules on it, and
scripts/site.py writes each figure's alt text from it.
"""

import json
import os

import matplotlib.backend_bases
from matplotlib.colors import to_hex

_print_figure = matplotlib.backend_bases.FigureCanvasBase.print_figure


def _hex(color):
    try:
        return to_hex(color, keep_alpha=False)
    except (ValueError, TypeError):
        return None


def _describe(fig):
    axes = []
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>" or not ax.get_visible():
            continue
        artists = []
        for line in ax.get_lines():
            if not line.get_label().startswith("_"):
                artists.append(
                    ["line", _hex(line.get_color()), line.get_linestyle(), str(line.get_marker())]
                )
        for coll in ax.collections:
            if not coll.get_label().startswith("_"):
                faces = coll.get_facecolor()
                colour = _hex(faces[0]) if len(faces) else None
                paths = coll.get_paths()
                shape = str(len(paths[0].vertices)) if paths else ""  # the marker's outline
                artists.append(["scatter", colour, "", shape])
        for container in ax.containers:
            label = container.get_label() or ""
            if not label.startswith("_") and len(container):
                patch = container[0]
                artists.append(
                    ["bar", _hex(patch.get_facecolor()), str(patch.get_hatch() or ""), ""]
                )
        axes.append(
            {
                "title": " ".join(
                    t for t in (ax.get_title("left"), ax.get_title(), ax.get_title("right")) if t
                ),
                "xlabel": ax.get_xlabel(),
                "ylabel": ax.get_ylabel(),
                "axis_on": ax.axison,
                "images": len(ax.images),
                "artists": artists,
            }
        )
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    return {"suptitle": suptitle, "axes": axes}


def _recording_print_figure(self, *args, **kwargs):
    try:
        from IPython import get_ipython

        ip = get_ipython()
        record = _describe(self.figure)
        record["cell"] = ip.displayhook.prompt_count if ip is not None else None  # its In [n]
        with open(os.environ["MLCOURSE_FIGURE_LOG"], "a") as log:
            log.write(json.dumps(record) + "\n")
    except Exception as err:  # noqa: BLE001 (never break a lesson; the test sees the error)
        with open(os.environ["MLCOURSE_FIGURE_LOG"], "a") as log:
            log.write(json.dumps({"error": repr(err)}) + "\n")
    return _print_figure(self, *args, **kwargs)


if os.environ.get("MLCOURSE_FIGURE_LOG"):
    matplotlib.backend_bases.FigureCanvasBase.print_figure = _recording_print_figure
