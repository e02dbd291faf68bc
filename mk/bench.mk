# `make bench`: wire cost, controller CPU and fleet scale against simulated hosts (docs/performance.md). Not part of
# `make test`: it measures, it does not pass or fail on figures. Prints tables; writes $(BENCH_JSON).
# Bigger runs: make bench BENCH_HOSTS=25,50,100,200 (and BENCH_REPEATS, BENCH_LATENCIES, BENCH_FORKS, BENCH_SECTIONS).
BENCH_HOSTS ?= 25,50
BENCH_LATENCIES ?= 0,20
BENCH_FORKS ?= 25
BENCH_REPEATS ?= 5
BENCH_FLEET_REPEATS ?= 1
BENCH_FASTER_HOSTS ?= 25
BENCH_SECTIONS ?= wire,cpu,fleet,faster,throughput,role
BENCH_JSON := $(BUILD)/bench/results.json

.PHONY: bench

bench: venv tree
	PYTHONPATH=$(ROOT) $(VENV)/bin/python -m bench --build $(BUILD) --tests-dir $(ROOT)/tests --output $(BENCH_JSON) \
	  --sections $(BENCH_SECTIONS) --hosts $(BENCH_HOSTS) --latencies $(BENCH_LATENCIES) --forks $(BENCH_FORKS) \
	  --repeats $(BENCH_REPEATS) --fleet-repeats $(BENCH_FLEET_REPEATS) --faster-hosts $(BENCH_FASTER_HOSTS)
