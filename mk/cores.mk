# Every ansible-core line meta/runtime.yml declares (>=2.16): .venv holds 2.19 (the toolchain) and .venv-latest 2.21;
# the others get a small venv each, pinned by requirements/core-<line>.txt, on a Python that core supports as a
# controller. `make test` runs the units on every line, sanity and the windows-integration smoke target (win_smoke)
# on the oldest line too (the newest runs them in sanity-latest and integration-smoke-latest). Included by the Makefile.

CORE_LINES := 2.16 2.17 2.18 2.20
OLDEST_CORE := 2.16
# One Python per line, spread over what the lines support (2.16/2.17: 3.10-3.12; 2.18: 3.11-3.13; 2.20: 3.12-3.14).
CORE_PYTHON_2.16 := 3.10
CORE_PYTHON_2.17 := 3.12
CORE_PYTHON_2.18 := 3.13
CORE_PYTHON_2.20 := 3.12

core_venv = $(ROOT)/.venv-core-$(1)
core_path = $(PYBIN):$(call core_venv,$(1))/bin:$(PATH)

.PHONY: venv-cores units-cores sanity-oldest integration-smoke-oldest integration-smoke-latest integration-smoke-$(SMOKE_CORE) \
        integration-smoke-psrp-oldest integration-smoke-psrp-latest \
        $(foreach line,$(CORE_LINES),units-core-$(line))

define CORE_LINE_RULES
$(call core_venv,$(1))/.stamp: requirements/core-$(1).txt
	@test -n "$(call find_python,$(CORE_PYTHON_$(1)))" || { echo "No real Python $(CORE_PYTHON_$(1)) for ansible-core $(1)"; exit 1; }
	test -x $(call core_venv,$(1))/bin/python || $(call find_python,$(CORE_PYTHON_$(1))) -m venv $(call core_venv,$(1))
	$(call core_venv,$(1))/bin/python -m pip install $(PIP_FLAGS) -r requirements/core-$(1).txt
	touch $$@

units-core-$(1): $(call core_venv,$(1))/.stamp pybin get-pip tree
	cd $(COLL) && PATH=$(call core_path,$(1)) ansible-test units $(ANSIBLE_TEST_FLAGS) --python $(CORE_PYTHON_$(1))
endef
$(foreach line,$(CORE_LINES),$(eval $(call CORE_LINE_RULES,$(line))))

venv-cores: $(foreach line,$(CORE_LINES),$(call core_venv,$(line))/.stamp)
units-cores: $(foreach line,$(CORE_LINES),units-core-$(line))

# On the oldest core's controller Python only: the per-Python tests (compile, import) of every other Python run in
# sanity-latest, which keeps `make test` within its 15 minutes.
sanity-oldest: $(call core_venv,$(OLDEST_CORE))/.stamp pybin get-pip tree
	cd $(COLL) && PATH=$(call core_path,$(OLDEST_CORE)) ansible-test sanity $(ANSIBLE_TEST_FLAGS) --python $(CORE_PYTHON_$(OLDEST_CORE))

# The smoke target (every module: read, change, converged, probe) through winrm (NTLM, message encryption) on the
# oldest, a middle and the newest core, and through psrp (NTLM, message encryption, the simulator's inventory.psrp)
# on the oldest and the newest. $(1): name, $(2): PATH, $(3): Python, $(4): the simulator's inventory file.
SMOKE_SIM_DIR := $(BUILD)/sim-smoke
SMOKE_HOSTS := --host smoke2022:server2022
SMOKE_CORE := 2.18

define SMOKE_RULE
	rm -rf $(SMOKE_SIM_DIR)-$(1)
	$(SIM) start --state-dir $(SMOKE_SIM_DIR)-$(1) $(SMOKE_HOSTS) --auth ntlm --daemon --max-lifetime 1800
	cp $(SMOKE_SIM_DIR)-$(1)/$(4) $(COLL)/tests/integration/inventory.winrm
	set +e; cd $(COLL) && PATH=$(2) ansible-test windows-integration $(ANSIBLE_TEST_FLAGS) --python $(3) win_smoke; \
	  rc=$$?; $(SIM) stop --state-dir $(SMOKE_SIM_DIR)-$(1); exit $$rc
endef

PYTHON_LATEST_VERSION = $(patsubst python%,%,$(notdir $(PYTHON_LATEST)))

integration-smoke-oldest: venv $(call core_venv,$(OLDEST_CORE))/.stamp pybin get-pip tree
	$(call SMOKE_RULE,oldest,$(call core_path,$(OLDEST_CORE)),$(CORE_PYTHON_$(OLDEST_CORE)),inventory.winrm)

integration-smoke-$(SMOKE_CORE): venv $(call core_venv,$(SMOKE_CORE))/.stamp pybin get-pip tree
	$(call SMOKE_RULE,$(SMOKE_CORE),$(call core_path,$(SMOKE_CORE)),$(CORE_PYTHON_$(SMOKE_CORE)),inventory.winrm)

integration-smoke-latest: venv venv-latest pybin get-pip tree
	$(call SMOKE_RULE,latest,$(TEST_PATH_LATEST),$(PYTHON_LATEST_VERSION),inventory.winrm)

integration-smoke-psrp-oldest: venv $(call core_venv,$(OLDEST_CORE))/.stamp pybin get-pip tree
	$(call SMOKE_RULE,psrp-oldest,$(call core_path,$(OLDEST_CORE)),$(CORE_PYTHON_$(OLDEST_CORE)),inventory.psrp)

integration-smoke-psrp-latest: venv venv-latest pybin get-pip tree
	$(call SMOKE_RULE,psrp-latest,$(TEST_PATH_LATEST),$(PYTHON_LATEST_VERSION),inventory.psrp)

TEST_PARTS += units-cores sanity-oldest integration-smoke-oldest integration-smoke-$(SMOKE_CORE) integration-smoke-latest \
              integration-smoke-psrp-oldest integration-smoke-psrp-latest
