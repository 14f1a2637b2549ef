# Two commands for a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := $(BIN)/flask --app app
CATALOGS := $(wildcard webapp/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: run test test-fast lint browser translations extract-messages clean

SMSC := tests/smsc/node_modules/.package-lock.json

run: $(STAMP) $(COMPILED)
	$(FLASK) up

test: $(STAMP) $(COMPILED) $(SMSC) browser
	$(BIN)/pytest $(PYTEST_ARGS)

# Lint (ruff) and types (mypy, strict on webapp/domain); CI runs it before the tests.
lint: $(STAMP)
	$(BIN)/ruff check webapp workers tests benchmarks app.py
	$(BIN)/ruff format --check webapp workers tests benchmarks app.py
	$(BIN)/mypy

test-fast: $(STAMP) $(COMPILED) $(SMSC)
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

# constraints.txt: the exact versions of everything installed (the direct pins are in
# pyproject.toml); regenerate with `.venv/bin/pip freeze --exclude-editable > constraints.txt`.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,test]'
	touch $@

# Compiled catalogs are build output (git-ignored).
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

translations: $(COMPILED)

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -o webapp/translations/messages.pot .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations --no-fuzzy-matching

# The SMPP integration tests and benchmark talk to an SMSC made with the npm `smpp` package.
$(SMSC): tests/smsc/package.json tests/smsc/package-lock.json
	npm ci --prefix tests/smsc --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's Chromium (no browser download); PDF tests read invoices and
# statements back with poppler's pdftotext; the SMPP server's Kannel test runs Debian's kannel
# (bearerbox, smsbox; the package's own service is stopped if it started one).
browser:
	@{ test -x /usr/bin/chromium && command -v pdftotext >/dev/null && test -x /usr/sbin/bearerbox; } || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils kannel \
	    && { ! { test -s /var/run/kannel/kannel_bearerbox.pid && kill -0 "$$(cat /var/run/kannel/kannel_bearerbox.pid)" 2>/dev/null; } \
	         || /etc/init.d/kannel stop || systemctl stop kannel || true; }; \
	  else echo "Install Debian's chromium, poppler-utils and kannel packages (sudo apt-get install chromium poppler-utils kannel) for the tests"; exit 1; fi; }

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts tests/smsc/node_modules
