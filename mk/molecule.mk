# Molecule scenarios (extensions/molecule/, docs/molecule.md) and the execution-environment definition
# (execution-environment.yml, docs/scale.md). Included by the Makefile.

TEST_PARTS += molecule ee-check

.PHONY: molecule molecule-windows-host ee-context ee-check ee-expected

# ---------------------------------------------------------------------------------------------------------------
# Molecule

MOLECULE_DIR := $(BUILD)/molecule
MOLECULE_SIM_DIR := $(MOLECULE_DIR)/sim
# ANSIBLE_HOME inside the build folder: molecule's prerun installs the collection from the working tree into
# $ANSIBLE_HOME/collections, and its scenario folders live under $ANSIBLE_HOME/tmp. Without it both would go to
# ~/.ansible, outside the build folder, and the installed copy would outlive the run.
MOLECULE_ENV := PATH=$(VENV)/bin:$(PATH) ANSIBLE_HOME=$(MOLECULE_DIR)/ansible-home \
  PORTSCALE_MOLECULE_SIM_DIR=$(MOLECULE_SIM_DIR) ANSIBLE_NOCOLOR=1 NO_COLOR=1
MOLECULE := $(MOLECULE_ENV) $(VENV)/bin/molecule
# Stops a simulator that a killed or failed run left behind (destroy.yml normally has).
MOLECULE_SIM_STOP := if [ -f $(MOLECULE_SIM_DIR)/fleet.json ]; then \
  $(WINSIM) stop --state-dir $(MOLECULE_SIM_DIR); fi

# The role against simulated hosts (scenario `default`); the real-host scenario when one is configured.
molecule: venv
	@$(MOLECULE_SIM_STOP)
	rm -rf $(MOLECULE_DIR)
	set +e; $(MOLECULE) test -s default --no-command-borders; rc=$$?; $(MOLECULE_SIM_STOP); exit $$rc
	@$(MAKE) --no-print-directory molecule-windows-host

# Scenario `windows_host`: a real Windows host named by PORTSCALE_WINDOWS_HOST (docs/molecule.md); skipped without it.
molecule-windows-host: venv
	@if [ -z "$${PORTSCALE_WINDOWS_HOST:-}" ]; then \
	  echo "molecule windows_host: skipped (no real Windows host configured: set PORTSCALE_WINDOWS_HOST, see docs/molecule.md)"; \
	else \
	  $(MOLECULE) test -s windows_host --no-command-borders; \
	fi

# ---------------------------------------------------------------------------------------------------------------
# Execution environment: `ansible-builder create` writes the build context (offline); ee-check compares it with
# the committed tests/ee/expected/ (our files only: ansible-builder's own _build/scripts are listed, not compared).

ANSIBLE_BUILDER ?= $(VENV)/bin/ansible-builder
EE_DIR := $(BUILD)/ee
EE_STAGE := $(EE_DIR)/definition
EE_CONTEXT := $(EE_DIR)/context
EE_EXPECTED := tests/ee/expected

# Stage the definition with the files it names, build the collection tarball, run `ansible-builder create`; then
# compute what the image's builder stage will: ansible-builder's own introspect.py over the installed tarball. The
# tarball must carry meta/execution-environment.yml and the requirements file it names, or that step fails.
ee-context: venv
	rm -rf $(EE_DIR)
	mkdir -p $(EE_STAGE)/requirements $(EE_STAGE)/collections
	cp execution-environment.yml $(EE_STAGE)/
	cp requirements/ee.txt $(EE_STAGE)/requirements/
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(EE_DIR)/dist > /dev/null
	cp $(EE_DIR)/dist/portscale-tcpip-$(VERSION).tar.gz $(EE_STAGE)/collections/portscale-tcpip.tar.gz
	cd $(EE_STAGE) && $(ANSIBLE_BUILDER) create --file execution-environment.yml --context $(EE_CONTEXT) \
	  --output-filename Containerfile > /dev/null
	tar -tzf $(EE_STAGE)/collections/portscale-tcpip.tar.gz > $(EE_DIR)/tarball.txt
	for f in meta/execution-environment.yml requirements/ee.txt; do \
	  grep -qx "$$f" $(EE_DIR)/tarball.txt || { echo "the collection tarball lacks $$f (see build_ignore in galaxy.yml)"; exit 1; }; \
	done
	$(VENV)/bin/ansible-galaxy collection install --offline -p $(EE_DIR)/installed \
	  $(EE_STAGE)/collections/portscale-tcpip.tar.gz > /dev/null 2>&1
	$(VENV)/bin/python $(EE_CONTEXT)/_build/scripts/introspect.py introspect $(EE_DIR)/installed \
	  --user-pip=$(EE_CONTEXT)/_build/requirements.txt --write-pip=$(EE_DIR)/introspected-pip.txt > /dev/null
	@echo "execution-environment build context: $(EE_CONTEXT)"

# Our files are compared byte for byte; ansible-builder's own scripts and the tarball only by name (files.txt).
EE_COMPARED := Containerfile _build/requirements.txt _build/requirements.yml
EE_LIST_FILES := cd $(EE_CONTEXT) && find . -type f | LC_ALL=C sort

ee-check: ee-context
	for f in $(EE_COMPARED); do diff -u $(EE_EXPECTED)/$$f $(EE_CONTEXT)/$$f; done
	diff -u $(EE_EXPECTED)/files.txt <($(EE_LIST_FILES))
	diff -u $(EE_EXPECTED)/introspected-pip.txt $(EE_DIR)/introspected-pip.txt
	@echo "ee-check: ansible-builder create output and introspection match $(EE_EXPECTED)"

# After a deliberate change to execution-environment.yml or requirements/ee.txt (or an ansible-builder upgrade):
# regenerate the expected files, then review the diff.
ee-expected: ee-context
	rm -rf $(EE_EXPECTED)
	for f in $(EE_COMPARED); do mkdir -p $(EE_EXPECTED)/$$(dirname $$f); cp $(EE_CONTEXT)/$$f $(EE_EXPECTED)/$$f; done
	$(EE_LIST_FILES) > $(ROOT)/$(EE_EXPECTED)/files.txt
	cp $(EE_DIR)/introspected-pip.txt $(EE_EXPECTED)/introspected-pip.txt
