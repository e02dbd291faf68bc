# `make demo`: the port_capacity role against three simulated Windows hosts (tools/demo/demo.py), and the report tests.
# Included by the Makefile.

.PHONY: demo demo-windows demo-windows-3.2.0 role-report-test

DEMO_COLLECTIONS := $(BUILD)/demo-collections
DEMO_WINDOWS_MARK := $(DEMO_COLLECTIONS)/ansible_collections/ansible/windows/MANIFEST.json
# ansible.windows 3.2.0 (ansible 12.0.0): the older form of win_reboot's scripts, for running the role's reboot with both
# (SIMULATOR_ANSIBLE_WINDOWS=$(DEMO_COLLECTIONS):$(DEMO_COLLECTIONS_3_2) runs the simulator's check of both).
DEMO_COLLECTIONS_3_2 := $(BUILD)/demo-collections-3.2.0
DEMO_WINDOWS_3_2_MARK := $(DEMO_COLLECTIONS_3_2)/ansible_collections/ansible/windows/MANIFEST.json
REPORT_DIR := $(ROOT)/report

# ansible.windows (for win_reboot), extracted from PyPI's pinned `ansible` wheel into a private collections path.
# The helper runs `pip download --no-deps --require-hashes --python-version 3.12 --only-binary :all:` (the newest
# wheels declare Python >= 3.12 but are pure Python, so the 3.11 .venv fetches them) into a temporary folder.
$(DEMO_WINDOWS_MARK): tools/demo/ansible-windows.txt tools/demo/extract_collection.py | $(VENV)/.stamp
	rm -rf $(DEMO_COLLECTIONS)
	$(VENV)/bin/python tools/demo/extract_collection.py --requirement tools/demo/ansible-windows.txt $(DEMO_COLLECTIONS)

$(DEMO_WINDOWS_3_2_MARK): tools/demo/ansible-windows-3.2.0.txt tools/demo/extract_collection.py | $(VENV)/.stamp
	rm -rf $(DEMO_COLLECTIONS_3_2)
	$(VENV)/bin/python tools/demo/extract_collection.py --requirement tools/demo/ansible-windows-3.2.0.txt $(DEMO_COLLECTIONS_3_2)

demo-windows: $(DEMO_WINDOWS_MARK)

demo-windows-3.2.0: $(DEMO_WINDOWS_3_2_MARK)

# Without ansible.windows (no package index) the demo still runs: it reboots through the simulator instead.
demo: venv tree
	@$(MAKE) --no-print-directory demo-windows || echo "ansible.windows could not be fetched: the demo reboots through the simulator"
	$(VENV)/bin/python tools/demo/demo.py --build $(BUILD) --report $(REPORT_DIR) \
	  --collections $(BUILD):$(DEMO_COLLECTIONS) --python $(VENV)/bin/python

# The report renders in a real browser: headless Chromium takes a screenshot of the HTML report and the test reads
# the chart's colours back from it. Chromium comes from Debian (installed here when missing).
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser)

role-report-test: venv tree
	@if [ -z "$(CHROMIUM)" ]; then \
	  echo "installing chromium (Debian package) for the HTML report test"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi
	cd $(COLL) && PYTHONPATH=$(BUILD) REPORT_TEST_OUTPUT=$(BUILD)/report-test \
	  CHROMIUM=$$(command -v chromium || command -v chromium-browser) \
	  $(VENV)/bin/python -m pytest -q -p no:cacheprovider tests/report

TEST_PARTS += role-report-test
