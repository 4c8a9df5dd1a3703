# erx — the two commands of the README are the contract: `make run` and `make test`.
SHELL := /bin/bash
GO ?= go
BUILD ?= $(CURDIR)/build
export GOFLAGS := -buildvcs=false

# Debian packages the build, the boot and the test tiers use.
DEB_PACKAGES := qemu-system-x86 ovmf grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools \
	dosfstools binutils e2fsprogs cpio iproute2 netcat-openbsd openssh-client sshpass expect tmux \
	freeradius freeradius-utils tshark tcpdump netsniff-ng iperf3 udhcpc dhcpcd5 traceroute iputils-ping

.PHONY: all run test test-unit test-image image deps deps-debian deps-go bench bench-forward bench-subscribers fuzz clean vet

all: image

## deps: install what the build and the tests need (Debian packages, Go modules).
deps: deps-debian deps-go

deps-debian:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "==> installing Debian packages:" $$missing; \
		echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections; \
		apt-get update -q >/dev/null && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing >/dev/null || exit 1; \
	fi

deps-go:
	@echo "==> downloading Go modules"
	@$(GO) mod download

## run: build the image (first time: minutes) and boot the router in QEMU.
run: deps
	@$(GO) run ./cmd/erx -build $(BUILD) run

## image: kernel + initramfs for the QEMU board and the appliance ISO.
image: deps
	@$(GO) run ./cmd/erx -build $(BUILD) image

## test: every tier: unit and host lab, then the image tier.
test: deps vet test-unit test-image

vet:
	@echo "==> go vet"
	@$(GO) vet ./...
	@echo "==> go vet -tags image"
	@$(GO) vet -tags image ./qemu/...

test-unit:
	@echo "==> unit and host-lab tests"
	@$(GO) test -race -count=1 -timeout 20m ./...

test-image: image
	@echo "==> image tests (QEMU, TCG when there is no KVM)"
	@ERX_BUILD=$(BUILD) $(GO) test -tags image -timeout 20m -v -count=1 ./qemu/... 2>&1 | tee $(BUILD)/image-test.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|_test.go'; exit $${PIPESTATUS[0]}

## bench: data-plane and control-plane benchmarks with reference ratios.
bench: deps
	@$(GO) test -run '^$$' -bench . -benchmem ./...
	@if [ "$$(id -u)" != 0 ]; then \
		echo "==> mirror start latency skipped: needs root (network namespaces)"; \
	else \
		ERX_BENCH_MIRROR_LATENCY=1 $(GO) test -count=1 -v -run '^TestMirrorStartLatency$$' -timeout 30m ./cmd/routerd/; \
	fi
	@$(MAKE) --no-print-directory bench-forward
	@$(MAKE) --no-print-directory bench-subscribers

## bench-forward: veth forwarding, erx vs the kernel, with and without mirroring,
## then the routerd binary itself vs the kernel (root, trafgen; minutes). Tune with
## ERX_BENCH_SECONDS/ROUNDS/SIZES/FLOWS/TX/CASES (and ERX_BENCH_ROUTERD_VARIANTS).
bench-forward:
	@if [ "$$(id -u)" != 0 ] || ! command -v trafgen >/dev/null; then \
		echo "==> bench-forward skipped: needs root and trafgen (netsniff-ng)"; \
	else \
		ERX_BENCH_FORWARD=1 $(GO) test -run '^$$' -bench '^BenchmarkHostForward$$' -benchtime 1x -timeout 90m ./services/linecard/ && \
		ERX_BENCH_FORWARD=1 $(GO) test -run '^$$' -bench '^BenchmarkRouterdForward$$' -benchtime 1x -timeout 90m ./cmd/routerd/; \
	fi

## bench-subscribers: FreeRADIUS's Access-Request rate from radclient (the ceiling), erx's
## PPPoE login rate against the same radiusd, then 32,000 sessions held with LCP echoes:
## memory and CPU per session (minutes). Tune with ERX_BENCH_SESSIONS/CONCURRENCY/ECHO/HOLD;
## ERX_BENCH_BCAST is the per-port broadcast and PADI limit (0: routerd's 1000/s).
ERX_BENCH_BCAST ?= 100000
bench-subscribers:
	ERX_BENCH_SUBSCRIBERS=1 ERX_BENCH_BCAST=$(ERX_BENCH_BCAST) $(GO) test -run '^$$' -bench '^BenchmarkSubscribers$$' -benchtime 1x -timeout 60m ./services/subscribers/

clean:
	rm -rf $(BUILD)
