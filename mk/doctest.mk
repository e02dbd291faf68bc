# `make docs-test`: every shell block of README.md and docs/*.md runs, as a reader would run it, or is marked with the
# reason it cannot run here (tools/doc_commands.py; the convention is in docs/development.md, "Commands in the docs").
# It installs the collection from the tarball `build` writes into a scratch HOME, and runs the role and the modules
# against simulated hosts on 127.0.0.1. `make docs-check` checks the markers only. Included by the Makefile.

.PHONY: docs-test docs-check

DOCS_TEST_DIR := $(BUILD)/docs-test

docs-check: venv
	$(VENV)/bin/python tools/doc_commands.py check

docs-test: venv build
	$(VENV)/bin/python tools/doc_commands.py run --scratch $(DOCS_TEST_DIR) --venv $(VENV) \
	  --tarball $(DIST)/portscale-tcpip-$(VERSION).tar.gz

TEST_PARTS += docs-test
