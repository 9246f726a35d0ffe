# CMake toolchain for the macOS arm64 library, cross-built on Linux with Debian's clang and lld against the
# declarations and text stubs in sysroot/ (no Apple SDK; see README.md). On a Mac, build natively instead.
#
#   cmake -S jni -B <dir> -DCMAKE_TOOLCHAIN_FILE=jni/platform/macos-arm64/toolchain.cmake \
#         -DDJL_METAL_HOST_BUILD=<a Linux build of jni> ...
set(CMAKE_SYSTEM_NAME Darwin)
set(CMAKE_SYSTEM_PROCESSOR arm64)
set(CMAKE_OSX_ARCHITECTURES arm64)
# DJL's libtorch for macOS requires 11.0, and nothing used here needs more.
set(CMAKE_OSX_DEPLOYMENT_TARGET 11.0)
set(CMAKE_OSX_SYSROOT ${CMAKE_CURRENT_LIST_DIR}/sysroot)

# The Debian LLVM release whose clang, lld and libc++ headers build it (see README.md).
if(NOT DJL_METAL_LLVM_VERSION)
  set(DJL_METAL_LLVM_VERSION 16)
endif()
set(CMAKE_C_COMPILER clang-${DJL_METAL_LLVM_VERSION})
set(CMAKE_CXX_COMPILER clang++-${DJL_METAL_LLVM_VERSION})
set(CMAKE_ASM_COMPILER clang-${DJL_METAL_LLVM_VERSION})
set(CMAKE_AR llvm-ar-${DJL_METAL_LLVM_VERSION} CACHE FILEPATH "")
set(CMAKE_RANLIB llvm-ranlib-${DJL_METAL_LLVM_VERSION} CACHE FILEPATH "")
set(CMAKE_C_COMPILER_TARGET arm64-apple-macos${CMAKE_OSX_DEPLOYMENT_TARGET})
set(CMAKE_CXX_COMPILER_TARGET arm64-apple-macos${CMAKE_OSX_DEPLOYMENT_TARGET})
set(CMAKE_ASM_COMPILER_TARGET arm64-apple-macos${CMAKE_OSX_DEPLOYMENT_TARGET})

# libc++'s headers from that LLVM release, configured as Apple configures them (libcxx/__config_site: with
# availability annotations, so nothing newer than macOS 11's libc++.1.dylib is used).
set(DJL_METAL_LIBCXX_HEADERS /usr/lib/llvm-${DJL_METAL_LLVM_VERSION}/include/c++/v1)
set(CMAKE_CXX_FLAGS_INIT "-nostdinc++ -isystem ${CMAKE_CURRENT_LIST_DIR}/libcxx -isystem ${DJL_METAL_LIBCXX_HEADERS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld")
# (-nostdinc++ above reaches the link line too, where it means nothing.)
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-fuse-ld=lld -Wno-unused-command-line-argument")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "-fuse-ld=lld")
# The stubs hold only what this project imports, so CMake's probe programs are compiled, never linked.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(CMAKE_FIND_ROOT_PATH ${CMAKE_OSX_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
