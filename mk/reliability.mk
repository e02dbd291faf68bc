# `make reliability`: the reliability and security matrix (docs/reliability.md) — faults per host, a fleet under
# faults, bad input, partial failure, secrets, connections — real ansible-playbook against simulated hosts.
# Included by the Makefile.

.PHONY: reliability

RELIABILITY_ENV := PYTHONPATH=$(ROOT)/tests:$(ROOT)/tests/reliability PORTSCALE_COLLECTIONS_PATH=$(BUILD) \
  PATH=$(VENV)/bin:$(PATH) ANSIBLE_NOCOLOR=1

# The role's reboot runs through ansible.windows.win_reboot of 3.2.0 and of the newest release (mk/demo.mk fetches both);
# C-09 and W-02 run ansible-playbook of the oldest cores (2.16, 2.18: mk/cores.mk).
ANSIBLE_WINDOWS_ROOTS := $(DEMO_COLLECTIONS_3_2):$(DEMO_COLLECTIONS)

# Two workers (pytest-xdist), one test file each at a time: a file's module fixture (its fleet, its playbook run) is
# built once, on one worker. Each fleet picks its own loopback ports and state directory, so files run side by side;
# ansible-playbook is CPU-bound and the machine has two cores. RELIABILITY_WORKERS= runs them one after the other.
RELIABILITY_WORKERS ?= -n 2 --dist loadfile

reliability: venv tree $(DEMO_WINDOWS_MARK) $(DEMO_WINDOWS_3_2_MARK) \
             $(call core_venv,$(OLDEST_CORE))/.stamp $(call core_venv,$(SMOKE_CORE))/.stamp
	cd $(ROOT)/tests/reliability && $(RELIABILITY_ENV) PORTSCALE_ANSIBLE_WINDOWS=$(ANSIBLE_WINDOWS_ROOTS) RELIABILITY_REQUIRE_ANSIBLE_WINDOWS=1 \
	  $(VENV)/bin/python -m pytest -q -p no:cacheprovider -rA $(RELIABILITY_WORKERS) $(RELIABILITY_ARGS) .

TEST_PARTS += reliability
