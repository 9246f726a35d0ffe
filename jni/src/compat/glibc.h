// Force-included into every translation unit of the shipped Linux library (CMake and JavaCPP's JNI glue), so
// that it asks no more of the C library than DJL's libtorch does (glibc 2.29): glibc 2.34 moved libdl and
// libpthread into libc under new symbol versions, and a build on a newer glibc binds to those by default. These
// functions keep their old versions in every glibc, so binding to the old ones is exact, not an emulation.
#pragma once

#if defined(__linux__) && defined(__x86_64__) && !defined(__ASSEMBLER__)
#define DJL_METAL_GLIBC_2_2_5(name) __asm__(".symver " #name "," #name "@GLIBC_2.2.5")
DJL_METAL_GLIBC_2_2_5(dlopen);
DJL_METAL_GLIBC_2_2_5(dlsym);
DJL_METAL_GLIBC_2_2_5(dlerror);
DJL_METAL_GLIBC_2_2_5(dlclose);
DJL_METAL_GLIBC_2_2_5(dladdr);
DJL_METAL_GLIBC_2_2_5(pthread_create);
DJL_METAL_GLIBC_2_2_5(pthread_join);
DJL_METAL_GLIBC_2_2_5(pthread_detach);
DJL_METAL_GLIBC_2_2_5(pthread_once);
DJL_METAL_GLIBC_2_2_5(pthread_key_create);
DJL_METAL_GLIBC_2_2_5(pthread_key_delete);
DJL_METAL_GLIBC_2_2_5(pthread_getspecific);
DJL_METAL_GLIBC_2_2_5(pthread_setspecific);
DJL_METAL_GLIBC_2_2_5(pthread_attr_setstacksize);
#undef DJL_METAL_GLIBC_2_2_5
#endif
