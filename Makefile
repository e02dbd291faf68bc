# portscale.tcpip developer entry points. `make test` is what CI runs (.ci/run); see docs/development.md.
# Everything it needs is installed from the package index by these rules: nothing is assumed to be installed by hand.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

ROOT := $(abspath .)
BUILD := $(ROOT)/build
# ansible-test only runs from inside .../ansible_collections/<namespace>/<name>/, so tests run on a copy there.
COLL := $(BUILD)/ansible_collections/portscale/tcpip
DIST := $(BUILD)/dist
INSTALLED := $(BUILD)/installed
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)

# Real interpreters: pyenv's python3.X shims for the non-active versions exit 127 (docs/development.md).
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
find_python = $(firstword $(wildcard $(PYENV_ROOT)/versions/$(1).*/bin/python$(1)) $(wildcard /usr/bin/python$(1)))
PYTHON_DEFAULT := $(call find_python,3.11)
PYTHON_LATEST := $(or $(call find_python,3.13),$(call find_python,3.12))
TARGET_PYTHONS := 2.7 3.6 3.7 3.8 3.9 3.10 3.11 3.12 3.13
PYBIN := $(BUILD)/pybin

VENV := $(ROOT)/.venv
VENV_LATEST := $(ROOT)/.venv-latest
PIP_FLAGS := --disable-pip-version-check --quiet
CONSTRAINTS := requirements/constraints.txt

# ansible-test downloads a get-pip script from a host that is unreachable here; it uses a cached copy if present.
GET_PIP_CACHE := $(HOME)/.ansible/test/cache
GET_PIP_VERSIONS := 23_1_2 24_2 25_2

# Passed to every ansible-test call: no colours in CI logs, and our interpreters first on PATH.
TEST_PATH := $(PYBIN):$(VENV)/bin:$(PATH)
TEST_PATH_LATEST := $(PYBIN):$(VENV_LATEST)/bin:$(PATH)
ANSIBLE_TEST_FLAGS := --venv --color no

.PHONY: help venv venv-latest tree pybin get-pip test sanity sanity-latest units units-latest lint changelog-lint \
        build install-check simulator-test simulator-install-check integration integration-psrp clean distclean constraints

help:
	@echo "make test           the whole suite (what CI runs)"
	@echo "make venv           create/update .venv (ansible-core 2.19, Python 3.11) - idempotent"
	@echo "make sanity units   ansible-test sanity / units on ansible-core 2.19"
	@echo "make sanity-latest units-latest   the same on ansible-core 2.21 (Python $(notdir $(PYTHON_LATEST)))"
	@echo "make units-cores    units on ansible-core 2.16, 2.17, 2.18 and 2.20 (mk/cores.mk; units-core-2.16 for one)"
	@echo "make sanity-oldest  ansible-test sanity on ansible-core 2.16, the oldest line meta/runtime.yml declares"
	@echo "make integration-smoke-oldest integration-smoke-latest   the win_smoke target on ansible-core 2.16 / 2.21"
	@echo "make lint           ansible-lint (production profile)"
	@echo "make changelog-lint antsibull-changelog lint"
	@echo "make build          build the collection tarball and install it from the tarball"
	@echo "make simulator-test the simulated Windows host's own tests (simulator/, the portscale-winsim package)"
	@echo "make simulator-install-check   pip install ./simulator in a fresh venv; portscale-winsim starts a host"
	@echo "make integration    ansible-test windows-integration against simulated hosts (NTLM, message encryption)"
	@echo "make integration-psrp   the same targets over the psrp connection (inventory.psrp)"
	@echo "make reliability    the reliability and security matrix against simulated hosts (docs/reliability.md)"
	@echo "make docs-test      run every shell block of README.md and docs/ (docs-check: their markers only)"
	@echo "make demo           the port_capacity role against three simulated hosts (audit, enforce, enforce again)"
	@echo "make bench          cost per task, controller CPU, fleet scale (docs/performance.md; not part of make test)"
	@echo "make clean          remove build products (keeps the venvs)"

# ---------------------------------------------------------------------------------------------------------------
# Toolchain

$(VENV)/.stamp: requirements/dev.txt $(CONSTRAINTS)
	@test -n "$(PYTHON_DEFAULT)" || { echo "No real Python 3.11 interpreter found (looked in $(PYENV_ROOT)/versions and /usr/bin)"; exit 1; }
	test -x $(VENV)/bin/python || $(PYTHON_DEFAULT) -m venv $(VENV)
	$(VENV)/bin/python -m pip install $(PIP_FLAGS) -r requirements/dev.txt -c $(CONSTRAINTS)
	touch $@

$(VENV_LATEST)/.stamp: requirements/latest.txt $(CONSTRAINTS)
	@test -n "$(PYTHON_LATEST)" || { echo "No real Python 3.12/3.13 interpreter found for ansible-core 2.21"; exit 1; }
	test -x $(VENV_LATEST)/bin/python || $(PYTHON_LATEST) -m venv $(VENV_LATEST)
	$(VENV_LATEST)/bin/python -m pip install $(PIP_FLAGS) -r requirements/latest.txt -c $(CONSTRAINTS)
	touch $@

# The simulated Windows host (simulator/, the portscale-winsim package), installed editable into .venv: the console
# script portscale-winsim and `import portscale_winsim` run this checkout's sources. The venv may be shared by several
# checkouts (git worktrees), so the rule checks where the installed package points, not only a stamp.
WINSIM := $(VENV)/bin/portscale-winsim
WINSIM_SRC := $(realpath $(ROOT))/simulator/src
WINSIM_STAMP := $(VENV)/.stamp-winsim

venv: $(VENV)/.stamp
	@where=$$($(VENV)/bin/python -c 'import os, portscale_winsim as p; print(os.path.dirname(os.path.dirname(os.path.realpath(p.__file__))))' 2>/dev/null || true); \
	if [ "$$where" != "$(WINSIM_SRC)" ] || [ ! -x $(WINSIM) ] || [ simulator/pyproject.toml -nt $(WINSIM_STAMP) ] || [ $(CONSTRAINTS) -nt $(WINSIM_STAMP) ]; then \
	  echo "$(VENV)/bin/python -m pip install $(PIP_FLAGS) -e ./simulator -c $(CONSTRAINTS)"; \
	  $(VENV)/bin/python -m pip install $(PIP_FLAGS) -e ./simulator -c $(CONSTRAINTS) && touch $(WINSIM_STAMP); \
	fi

venv-latest: $(VENV_LATEST)/.stamp

# A folder of symlinks to the real interpreters, put first on PATH for ansible-test.
pybin:
	@mkdir -p $(PYBIN)
	@for v in $(TARGET_PYTHONS); do \
	  real=$$(ls -1 $(PYENV_ROOT)/versions/$$v.*/bin/python$$v /usr/bin/python$$v 2>/dev/null | head -n 1 || true); \
	  if [ -n "$$real" ]; then ln -sfn "$$real" $(PYBIN)/python$$v; else rm -f $(PYBIN)/python$$v; fi; \
	done
	@echo "interpreters for ansible-test: $$(ls $(PYBIN) | tr '\n' ' ')"

get-pip:
	@mkdir -p $(GET_PIP_CACHE)
	@for v in $(GET_PIP_VERSIONS); do cp tools/get_pip_standin.py $(GET_PIP_CACHE)/get_pip_$$v.py; done

# Copy the work tree (tracked and untracked-but-not-ignored files) to the ansible_collections path. The previous
# copy's tests/output is kept: ansible-test's --venv virtualenvs live there and make warm runs fast. The copy gets a
# git repository of its own (nothing committed): ansible-test lists files with `git ls-files --others`, and would
# otherwise find the outer repository, where build/ is ignored, and skip every target.
tree:
	@mkdir -p $(COLL)
	@find $(COLL) -mindepth 1 -maxdepth 1 ! -name tests ! -name .git -exec rm -rf {} +
	@test -d $(COLL)/.git || git -C $(COLL) init -q
	@if [ -d $(COLL)/tests ]; then find $(COLL)/tests -mindepth 1 -maxdepth 1 ! -name output -exec rm -rf {} +; fi
	@git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -e "$$f" ] && printf '%s\0' "$$f"; done \
	  | tar --null -T - -cf - | tar -xf - -C $(COLL)

# ---------------------------------------------------------------------------------------------------------------
# Tests

# The parts of `make test`, in order. Larger features add theirs from their own file under mk/ (included here).
# Sanity runs on the oldest core (mk/cores.mk: sanity-oldest) and the newest (sanity-latest), as the 15-minute budget
# of `make test` allows; `make sanity` (2.19, between them) stays available on its own.
TEST_PARTS := units sanity-latest units-latest lint changelog-lint build simulator-test simulator-install-check integration \
              integration-psrp
-include $(wildcard mk/*.mk)

test: $(TEST_PARTS)
	@echo "make test: all parts passed"

sanity: venv pybin get-pip tree
	cd $(COLL) && PATH=$(TEST_PATH) ansible-test sanity $(ANSIBLE_TEST_FLAGS)

sanity-latest: venv-latest pybin get-pip tree
	cd $(COLL) && PATH=$(TEST_PATH_LATEST) ansible-test sanity $(ANSIBLE_TEST_FLAGS)

units: venv pybin get-pip tree
	cd $(COLL) && PATH=$(TEST_PATH) ansible-test units $(ANSIBLE_TEST_FLAGS)

units-latest: venv-latest pybin get-pip tree
	cd $(COLL) && PATH=$(TEST_PATH_LATEST) ansible-test units $(ANSIBLE_TEST_FLAGS)

# The tree copy makes portscale.tcpip.* resolvable offline for the syntax checks of playbooks (molecule, role).
lint: venv tree
	ANSIBLE_COLLECTIONS_PATH=$(BUILD) PATH=$(VENV)/bin:$(PATH) ansible-lint --offline

changelog-lint: venv
	$(VENV)/bin/antsibull-changelog lint

# Build the tarball, install it from the tarball into a private path and check that ansible-doc sees the plugins.
build: venv
	rm -rf $(DIST) $(INSTALLED)
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(DIST)
	$(VENV)/bin/ansible-galaxy collection install --force -p $(INSTALLED) $(DIST)/portscale-tcpip-$(VERSION).tar.gz
	ANSIBLE_COLLECTIONS_PATH=$(INSTALLED) $(VENV)/bin/python tools/check_installed.py $(DIST)/portscale-tcpip-$(VERSION).tar.gz

# ansible.windows 3.2.0 and the newest (mk/demo.mk): their own win_reboot code runs against the host model too; the
# other cores' venvs (mk/cores.mk): raw over psrp runs on each of them.
simulator-test: venv venv-cores $(DEMO_WINDOWS_MARK) $(DEMO_WINDOWS_3_2_MARK)
	SIMULATOR_ANSIBLE_WINDOWS=$(DEMO_COLLECTIONS):$(DEMO_COLLECTIONS_3_2) SIMULATOR_REQUIRE_CORES=1 \
	  $(VENV)/bin/python -m pytest -q -p no:cacheprovider simulator/tests

# `pip install ./simulator` in a fresh virtualenv (no editable install, the pinned dependency versions) gives a working
# portscale-winsim: --help, and a one-host fleet started, controlled and stopped. It installs from a copy of the files
# git knows (as a fresh clone has them), so the build leaves nothing in the work tree.
WINSIM_CHECK := $(BUILD)/winsim-install-check
simulator-install-check:
	rm -rf $(WINSIM_CHECK)
	mkdir -p $(WINSIM_CHECK)/checkout
	git ls-files -z --cached --others --exclude-standard simulator | while IFS= read -r -d '' f; do [ -e "$$f" ] && printf '%s\0' "$$f"; done \
	  | tar --null -T - -cf - | tar -xf - -C $(WINSIM_CHECK)/checkout
	$(PYTHON_DEFAULT) -m venv $(WINSIM_CHECK)/venv
	cd $(WINSIM_CHECK)/checkout && $(WINSIM_CHECK)/venv/bin/python -m pip install $(PIP_FLAGS) ./simulator -c $(ROOT)/$(CONSTRAINTS)
	$(WINSIM_CHECK)/venv/bin/portscale-winsim --help > /dev/null
	$(WINSIM_CHECK)/venv/bin/portscale-winsim start --state-dir $(WINSIM_CHECK)/sim --count 1 --daemon --max-lifetime 300
	set +e; $(WINSIM_CHECK)/venv/bin/portscale-winsim ctl --state-dir $(WINSIM_CHECK)/sim win001 counters > /dev/null; \
	  rc=$$?; $(WINSIM_CHECK)/venv/bin/portscale-winsim stop --state-dir $(WINSIM_CHECK)/sim; exit $$rc
	rm -rf $(WINSIM_CHECK)

# ansible-test windows-integration against a fleet of simulated hosts of several Windows versions, over NTLM with
# message encryption. The simulator's inventory goes where ansible-test looks by default (its --venv delegation only
# carries inventories that live inside the collection). The targets also run unchanged against a real inventory:
# put it at build/ansible_collections/portscale/tcpip/tests/integration/inventory.winrm and run ansible-test there.
SIM := $(WINSIM)
INTEGRATION_SIM_DIR := $(BUILD)/sim-integration
# win11 runs Hyper-V NAT (WinNAT reservations for win_excluded_port_range's winnat_restart tests); win2008r2 is the
# one host older than build 9600, where TcpTimedWaitDelay below 30 must be refused.
INTEGRATION_HOSTS := --host win2022:server2022 --host win2016:server2016 --host win2012r2:server2012r2 --host win11:win11:hyperv=true \
                     --host win2008r2:server2008r2

# $(1): the simulator's inventory file (inventory.winrm: winrm; inventory.psrp: psrp), $(2): the state dir's suffix.
define INTEGRATION_RULE
	rm -rf $(INTEGRATION_SIM_DIR)$(2)
	$(SIM) start --state-dir $(INTEGRATION_SIM_DIR)$(2) $(INTEGRATION_HOSTS) --auth ntlm --daemon --max-lifetime 3600
	cp $(INTEGRATION_SIM_DIR)$(2)/$(1) $(COLL)/tests/integration/inventory.winrm
	set +e; cd $(COLL) && PATH=$(TEST_PATH) ansible-test windows-integration $(ANSIBLE_TEST_FLAGS) --python 3.11 $(INTEGRATION_TARGETS); \
	  rc=$$?; $(SIM) stop --state-dir $(INTEGRATION_SIM_DIR)$(2); exit $$rc
endef

integration: venv pybin get-pip tree
	$(call INTEGRATION_RULE,inventory.winrm,)

# Every target again over ansible-core's psrp connection (PSRP on the same WS-Man endpoint, NTLM, message encryption).
integration-psrp: venv pybin get-pip tree
	$(call INTEGRATION_RULE,inventory.psrp,-psrp)

# ---------------------------------------------------------------------------------------------------------------
# Housekeeping

constraints: venv
	{ echo "# Exact versions for every Python package the toolchain installs (both controllers share it)."; \
	  echo "# Regenerate with: make constraints (then review the diff)."; \
	  $(VENV)/bin/python -m pip freeze | grep -v -i '^ansible-core=='; } > $(CONSTRAINTS)

clean:
	rm -rf $(BUILD) tests/output

distclean: clean
	rm -rf $(VENV) $(VENV_LATEST) simulator/src/*.egg-info
