# Thin wrapper over the CMake presets (see CMakePresets.json).
#   make demo   install what is missing, build (release), run the flagship example
#   make test   install what is missing, build (debug), run every test
#   make build  release build of everything into build/release/
JOBS ?= $(shell nproc)

.PHONY: deps build test demo tsan asan clean format

deps:
	@cmake/install-deps.sh

build: deps
	cmake --preset release
	cmake --build --preset release -j $(JOBS)

test: deps
	cmake --preset debug
	cmake --build --preset debug -j $(JOBS)
	ctest --preset debug

demo: build
	./build/release/examples/hello_runtime/troupe-hello-runtime

tsan: deps
	cmake --preset tsan
	cmake --build --preset tsan -j $(JOBS)
	ctest --preset tsan -L concurrency

asan: deps
	cmake --preset asan
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan

format:
	git ls-files '*.hpp' '*.cpp' | xargs clang-format -i

clean:
	rm -rf build
