"""Sphinx configuration of the course's website (built by ``make site``; see scripts/site.py).

Everything is offline: myst-nb renders the notebooks that scripts/site.py has executed (no
execution here), and the book theme ships its own styles, scripts and fonts.
"""

project = "mlcourse"
author = "The mlcourse authors"
copyright = "the mlcourse authors, BSD-3-Clause"
extensions = ["myst_nb"]
nb_execution_mode = "off"  # scripts/site.py executed the lessons fresh
nb_ipywidgets_js = {}  # widgets arrive as static snapshots; no widget JavaScript from a CDN
myst_enable_extensions = ["colon_fence"]  # no dollarmath: "$" in prose is money, not MathJax
exclude_patterns = ["downloads/**", "_build", "**.ipynb_checkpoints"]
html_theme = "sphinx_book_theme"
html_title = "mlcourse: the process of machine-learning development"
html_sourcelink_suffix = ""
html_theme_options = {
    "use_download_button": True,
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "navigation_with_keys": True,
}
html_last_updated_fmt = None
suppress_warnings = ["mystnb.unknown_mime_type"]
html_static_path = ["_static"]
html_favicon = "_static/favicon.svg"
html_context = {"default_mode": "light"}  # the theme's light/dark switch starts somewhere
