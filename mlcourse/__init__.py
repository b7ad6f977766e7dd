"""mlcourse: helpers for a JupyterLab course on the process of machine-learning development.

One module per stage of the workflow:

- :mod:`mlcourse.data`: seeded synthetic corpora (spam emails, applicants) and real-corpus loaders.
- :mod:`mlcourse.diagnostics`: bias/variance diagnosis on top of scikit-learn's curves.
- :mod:`mlcourse.errors`: misclassified examples, sampling and tag tallies for error analysis.
- :mod:`mlcourse.widgets`: ipywidgets for tagging errors (lesson 2) and previewing
  augmentations (lesson 3, defined in :mod:`mlcourse.widgets_augment`).
- :mod:`mlcourse.augment`: seeded, batch-vectorised image and audio distortions.
- :mod:`mlcourse.transfer`: a shipped pretrained network and fine-tuning helpers.
- :mod:`mlcourse.serving`: a FastAPI/uvicorn inference server with a skops model registry.
- :mod:`mlcourse.monitor`: drift statistics (KS, PSI) over prediction logs.
- :mod:`mlcourse.fairness`: audit reports, gates and mitigation over fairlearn.
- :mod:`mlcourse.results`: a lesson's named results as JSON, for the claims tests.

Submodules are imported on demand, so ``import mlcourse`` stays cheap.
"""

__version__ = "0.1.0"
