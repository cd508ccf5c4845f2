# Thin wrapper over the CMake presets (see CMakePresets.json).
#   make demo   install what is missing, build (release), run the flagship example:
#               the chat server on 127.0.0.1:6667 (make demo PORT=7000 for another port)
#   make test   install what is missing, build (debug), run every test
#   make build  release build of everything into build/release/
#   make tsan   ThreadSanitizer build (g++) of the library and its tests, and the tests
#   make asan   AddressSanitizer+UBSan build (clang 14) of everything, and the tests
JOBS ?= $(shell nproc)

.PHONY: deps build test demo tsan asan clean format

deps:
	@cmake/install-deps.sh

build: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

# The tests also drive a real IRC client (ii) against the chat example and
# make TLS certificates for remote nodes (openssl).
test:
	@cmake/install-deps.sh ii openssl curl
	cmake --preset debug
	cmake --build --preset debug -j $(JOBS)
	ctest --preset debug

PORT ?= 6667

demo: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS) --target troupe-chat
	./build/release/examples/chat/troupe-chat --host 127.0.0.1 --port $(PORT)

tsan:
	@cmake/install-deps.sh openssl curl
	cmake --preset tsan
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan

asan:
	@cmake/install-deps.sh ii openssl curl clang-14 clang libclang-rt-14-dev
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan

format:
	git ls-files '*.hpp' '*.cpp' | xargs clang-format -i

clean:
	rm -rf build
