# `make demo`: the port_capacity role against three simulated Windows hosts (tools/demo/demo.py), and the report tests.
# Included by the Makefile.

.PHONY: demo demo-windows role-report-test

DEMO_COLLECTIONS := $(BUILD)/demo-collections
DEMO_DOWNLOAD := $(BUILD)/demo-download
DEMO_WINDOWS_MARK := $(DEMO_COLLECTIONS)/ansible_collections/ansible/windows/MANIFEST.json
REPORT_DIR := $(ROOT)/report

# ansible.windows (for win_reboot), extracted from PyPI's pinned `ansible` wheel into a private collections path.
$(DEMO_WINDOWS_MARK): tools/demo/ansible-windows.txt | $(VENV)/.stamp
	rm -rf $(DEMO_COLLECTIONS) $(DEMO_DOWNLOAD)
	$(VENV)/bin/python -m pip download $(PIP_FLAGS) --no-deps --require-hashes -r tools/demo/ansible-windows.txt -d $(DEMO_DOWNLOAD)
	$(VENV)/bin/python tools/demo/extract_collection.py $(DEMO_DOWNLOAD) ansible windows $(DEMO_COLLECTIONS)
	rm -rf $(DEMO_DOWNLOAD)

demo-windows: $(DEMO_WINDOWS_MARK)

# Without ansible.windows (no package index) the demo still runs: it reboots through the simulator instead.
demo: venv tree
	@$(MAKE) --no-print-directory demo-windows || echo "ansible.windows could not be fetched: the demo reboots through the simulator"
	$(VENV)/bin/python tools/demo/demo.py --root $(ROOT) --build $(BUILD) --report $(REPORT_DIR) \
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
