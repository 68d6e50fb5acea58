# The project's entry points. `make train` and `make test` are all the set-up a user needs:
# both install missing system packages first (`make deps`).
SHELL := /bin/bash
SWIFT ?= swift
CONFIG ?= experiments/default.yaml
BENCH_DATA ?= ../shared/data/mnist

# Debian packages: BLAS (OpenBLAS; BLIS's single-threaded build for products with a thin side,
# loaded at run time), zlib for .gz inputs, HDF5 for checkpoints, libpng for pictures, libcrypto
# (libssl-dev) for the feature files' SHA-256, Open MPI (libopenmpi-dev, and mpirun from
# openmpi-bin) for training across processes and machines, the default data set
# (and python3 for the h5py check; pip installs h5py itself).
APT_PACKAGES := libopenblas-dev libblis4-serial zlib1g-dev libhdf5-dev libpng-dev libssl-dev libopenmpi-dev openmpi-bin pkg-config dataset-fashion-mnist python3 python3-pip
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

SWEEP ?= experiments/sweep-fashion-lr-hidden.yaml
MNIST ?= ../shared/data/mnist

FUZZ_RUNS ?= 1000000

.PHONY: deps build train test bench bench-data bench-peers bench-sizes bench-sums bench-mpi samplers dbn sweep reproduce fuzz fuzz-build fuzz-idx fuzz-data fuzz-config fuzz-checkpoint fuzz-hdf5 clean

deps:
	@missing=""; \
	for package in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# h5py, numpy and pandas, for the tests that run the README's Python examples on real files.
	@# Debian's own python3 refuses pip installs (PEP 668): its python3-* packages serve then.
	@for module in h5py pandas; do \
	  python3 -c "import $$module" 2>/dev/null || { echo "make deps: installing $$module"; \
	  python3 -m pip install --quiet --disable-pip-version-check $$module 2>/dev/null || \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-$$module; \
	  python3 -c "import $$module"; }; \
	done
	@# The Python estimator's tests (python/): scikit-learn's estimator checks run with pytest.
	@for pair in sklearn:scikit-learn:python3-sklearn pytest:pytest:python3-pytest; do \
	  module=$${pair%%:*}; rest=$${pair#*:}; pip_name=$${rest%%:*}; apt_name=$${rest#*:}; \
	  python3 -c "import $$module" 2>/dev/null || { echo "make deps: installing $$pip_name"; \
	  python3 -m pip install --quiet --disable-pip-version-check $$pip_name 2>/dev/null || \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$apt_name; \
	  python3 -c "import $$module"; }; \
	done

build: deps
	$(SWIFT) build -c release

# A second `make train` refuses to overwrite the finished run: TRAIN_FLAGS=--resume continues it,
# TRAIN_FLAGS=--force starts over.
TRAIN_FLAGS ?=
train: build
	.build/release/rbm train $(CONFIG) $(TRAIN_FLAGS)

# Tests run optimized (the numeric tests take minutes unoptimized) in their own build folder,
# so that switching between `make test` and `make train` does not rebuild everything.
TEST_FLAGS := -c release -Xswiftc -enable-testing --scratch-path .build-test

# HDF5_USE_FILE_LOCKING=FALSE: the suites run in parallel in one process, and the children the
# command-line tests start (Foundation's Process) inherit whatever HDF5 file another test has
# open at that moment — libhdf5 opens without O_CLOEXEC — keeping its flock for their whole life,
# so that test's next open of its own file failed now and then. rbm itself never relies on
# libhdf5's locks: run folders are locked by FolderLock, and every file is written atomically.
test: deps
	$(SWIFT) build --build-tests $(TEST_FLAGS)
	HDF5_USE_FILE_LOCKING=FALSE $(SWIFT) test --skip-build $(TEST_FLAGS)
	@# The Python estimator against the rbm just built (scikit-learn's checks included).
	cd python && RBM_BINARY=$(CURDIR)/.build-test/release/rbm python3 -m pytest -q -p no:cacheprovider tests

# 784→500 at batch 100, then the seed's configuration (784→128, CD-1, batch 5) in each split,
# then 784→500 again with products of sampled units dense (BLAS) instead of sums of rows.
bench: build
	.build/release/rbm bench --data $(BENCH_DATA)
	@echo; echo "== the seed's configuration: 784→128, batch 5"
	.build/release/rbm bench --data $(BENCH_DATA) --hidden 128 --batch-size 5 --shards 1 --updates 3000
	@echo; echo "== 784→500, batch 100, centred updates (model.centering)"
	.build/release/rbm bench --data $(BENCH_DATA) --centering
	@echo; echo "== 784→500, batch 100, every product dense (BLAS), for the ratio to sums of rows"
	RBM_BINARY_PRODUCTS=dense .build/release/rbm bench --data $(BENCH_DATA)

# The textbook update in numpy, PyTorch (when installed) and scikit-learn, beside rbm bench, in one run.
# Twice: as this environment sets OpenBLAS up (OPENBLAS_CORETYPE may pin an older kernel), then
# with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command alone, so that every library
# (Debian's OpenBLAS for rbm, numpy's and PyTorch's own) picks its kernel for this CPU.
bench-peers: build
	python3 scripts/bench-peers.py --rbm .build/release/rbm --data $(BENCH_DATA)
	@echo; echo "== each library's own kernel choice (OPENBLAS_CORETYPE, OPENBLAS_L2_SIZE unset)"
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 scripts/bench-peers.py --rbm .build/release/rbm --data $(BENCH_DATA)

# The MPI path against the threaded one with the same cores: 1 process × 2 workers, 2 ranks × 1
# worker over shared memory and over TCP on loopback; then the cost model for more machines.
MPIRUN := mpirun --oversubscribe $(shell [ "$$(id -u)" = 0 ] && echo --allow-run-as-root)
bench-mpi: build
	@echo "== 1 process × 1 worker"; .build/release/rbm bench --ranks --workers 1 | tee /tmp/rbm-bench-1x1.txt
	@echo "== 1 process × 2 workers"; .build/release/rbm bench --ranks --workers 2
	@echo "== 2 ranks × 1 worker, shared memory"; $(MPIRUN) -np 2 .build/release/rbm bench --ranks --workers 1
	@echo "== 2 ranks × 1 worker, TCP on loopback"; $(MPIRUN) --mca btl self,tcp -np 2 .build/release/rbm bench --ranks --workers 1 | tee /tmp/rbm-bench-2tcp.txt
	@one=$$(grep '^| 784→500 ' /tmp/rbm-bench-1x1.txt | cut -d'|' -f6 | tr -d ' ,'); \
	tcp=$$(grep '^| 784→500 ' /tmp/rbm-bench-2tcp.txt | cut -d'|' -f6 | tr -d ' ,'); \
	fraction=$$(grep '^| 784→500 ' /tmp/rbm-bench-2tcp.txt | cut -d'|' -f8 | tr -d ' %'); \
	echo "== the cost model"; \
	python3 scripts/mpi-cost-model.py --core-gflops $$(python3 -c "print($$one * 3.92e6 / 1e9)") && \
	python3 scripts/mpi-cost-model.py --check $$one $$tcp $$(python3 -c "print($$fraction / 100)")

# CD-1 for growing models and batches against the large-SGEMM rate of the same run.
bench-sizes: build
	.build/release/rbm bench --sizes

# The sums-of-rows kernel's loop over rows of B in L1 and in L2 (aligned, and W's own stride):
# what bounds v·W (docs/performance.md, "Where the sums' bound is"). Plain C, one core.
bench-sums:
	mkdir -p .build && cc -O2 -o .build/sums-of-rows-bound scripts/sums-of-rows-bound.c && .build/sums-of-rows-bound

# CD-1 fed from memory, HDF5 (contiguous, chunked gzip), mapped .npy and streamed .npy.
bench-data: build
	.build/release/rbm bench --data $(BENCH_DATA) --formats

# The deep belief network of experiments/dbn-layer*.yaml, and how well a logistic regression
# classifies with each layer's features (scikit-learn: pip install scikit-learn).
dbn: build
	.build/release/rbm train experiments/dbn-layer1.yaml --force
	.build/release/rbm train experiments/dbn-layer2.yaml --force
	python3 scripts/classify-features.py runs/dbn-layer1/features.h5 runs/dbn-layer2/features.h5 --pixels /usr/share/datasets/fashion-mnist

sweep: build
	.build/release/rbm sweep $(SWEEP)

# The RBMs of Salakhutdinov & Murray (2008) on MNIST, evaluated and tabulated (~40 minutes on 2 cores).
# PCD-1, FPCD-1 and PT-1, with and without centering, on MNIST: SAMPLER_EPOCHS each, then the
# test log-likelihood by AIS (scripts/samplers-table.sh; about an hour at 100 epochs).
SAMPLER_EPOCHS ?= 100
samplers: build
	scripts/samplers-table.sh $(SAMPLER_EPOCHS) $(MNIST)

reproduce: build
	.build/release/rbm reproduce --data $(MNIST) --out runs/reproduce

# libFuzzer with AddressSanitizer over the IDX reader, the data readers, the config/sweep parser,
# the checkpoint's state check and the HDF5 loaders, FUZZ_RUNS inputs each. `make fuzz` runs them
# all (~2.5 hours on 2 cores: idx ~4 min, data ~10 min, config ~30 min, checkpoint ~3 min, hdf5
# ~1.5-2 hours); `make fuzz-idx`, `fuzz-data`, `fuzz-config`, `fuzz-checkpoint`, `fuzz-hdf5` run one.
# - checkpoint: the whole-state check of a checkpoint (Checkpoint.problems, the stored config against
#   the arrays) on states built from the input, and the write/read round trip of those it accepts.
# - idx, data (.npy header and arrays, .npz, CSV), config: this project's own parsers. The first crash stops the run and is saved in
#   Fuzz/regressions/<target>/, which make test replays: fix it and commit the input.
# - hdf5: libhdf5 1.10.8 itself crashes and hangs on many corrupt files (Fuzz/known-libhdf5),
#   so this target runs in fork mode past them; Fuzz/triage-hdf5.sh then requires every saved
#   input to fail inside libhdf5, not in this project's code, and `rbm inspect` (which reads
#   in a child process) to exit normally on it. No leak detection: libhdf5 leaks on some.
fuzz: fuzz-idx fuzz-data fuzz-config fuzz-checkpoint fuzz-hdf5

fuzz-build: deps
	cd Fuzz && $(SWIFT) build -c release -Xswiftc -sanitize=fuzzer,address
	$(SWIFT) build -c release

fuzz-idx fuzz-data fuzz-config fuzz-checkpoint: fuzz-%: fuzz-build
	@mkdir -p Fuzz/.work/$* Fuzz/regressions/$*
	@echo "== fuzz-$*: $(FUZZ_RUNS) inputs"
	@SWIFT_BACKTRACE=enable=no Fuzz/.build/release/fuzz-$* -runs=$(FUZZ_RUNS) -max_len=65536 \
	  -print_final_stats=1 -artifact_prefix=Fuzz/regressions/$*/ \
	  Fuzz/.work/$* Fuzz/corpus/$* 2>&1 | grep -E "^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)"; \
	test $${PIPESTATUS[0]} -eq 0

fuzz-hdf5: fuzz-build
	@rm -rf Fuzz/.work/hdf5-artifacts; mkdir -p Fuzz/.work/hdf5 Fuzz/.work/hdf5-artifacts
	@echo "== fuzz-hdf5: $(FUZZ_RUNS) inputs in $$(nproc) processes (a progress line every 50,000)"
	@# Fuzz/watchdog-hdf5.sh kills jobs that deadlock in libFuzzer's own timeout handler (it
	@# allocates inside a signal handler), which would otherwise hold their slot for good.
	@Fuzz/watchdog-hdf5.sh & watchdog=$$!; \
	SWIFT_BACKTRACE=enable=no Fuzz/.build/release/fuzz-hdf5 -runs=$(FUZZ_RUNS) -max_len=65536 \
	  -fork=$$(nproc) -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -timeout=1 \
	  -detect_leaks=0 -rss_limit_mb=4000 -malloc_limit_mb=2000 \
	  -artifact_prefix=Fuzz/.work/hdf5-artifacts/ Fuzz/.work/hdf5 Fuzz/corpus/hdf5 2>&1 \
	  | tee Fuzz/.work/hdf5.log | awk '/^#[0-9]+: / { n = substr($$1, 2) + 0; if (n >= due) { print; fflush(); due = n + 50000 } } /^INFO: fuzzed for/'; \
	kill $$watchdog
	@grep -q "^INFO: fuzzed for" Fuzz/.work/hdf5.log || { echo "fuzz-hdf5 stopped before $(FUZZ_RUNS) inputs: see Fuzz/.work/hdf5.log"; exit 1; }
	Fuzz/triage-hdf5.sh Fuzz/.work/hdf5-artifacts Fuzz/.build/release/fuzz-hdf5 .build/release/rbm

clean:
	rm -rf .build .build-test Fuzz/.build Fuzz/.work
