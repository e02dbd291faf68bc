# `make reliability`: the reliability and security matrix (docs/reliability.md) — faults per host, a fleet under
# faults, bad input, partial failure, secrets, connections — real ansible-playbook against simulated hosts.
# Included by the Makefile.

.PHONY: reliability

RELIABILITY_ENV := PYTHONPATH=$(ROOT)/tests:$(ROOT)/tests/reliability PORTSCALE_COLLECTIONS_PATH=$(BUILD) \
  PATH=$(VENV)/bin:$(PATH) ANSIBLE_NOCOLOR=1

reliability: venv tree
	cd $(ROOT)/tests/reliability && $(RELIABILITY_ENV) $(VENV)/bin/python -m pytest -q -p no:cacheprovider -rA $(RELIABILITY_ARGS) .

TEST_PARTS += reliability
