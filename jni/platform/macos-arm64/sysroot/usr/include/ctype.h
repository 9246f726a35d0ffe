/* Darwin <ctype.h>, the subset used. The _CTYPE_ masks are libc's character-class bits, which libc++'s
   ctype<char> table (in libc++.1.dylib) holds. Hand-written for cross-building; see
   jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_CTYPE_H
#define _DJL_DARWIN_CTYPE_H

#include <sys/types.h>

typedef uint32_t __uint32_t;

#define _CTYPE_A 0x00000100L
#define _CTYPE_C 0x00000200L
#define _CTYPE_D 0x00000400L
#define _CTYPE_G 0x00000800L
#define _CTYPE_L 0x00001000L
#define _CTYPE_P 0x00002000L
#define _CTYPE_S 0x00004000L
#define _CTYPE_U 0x00008000L
#define _CTYPE_X 0x00010000L
#define _CTYPE_B 0x00020000L
#define _CTYPE_R 0x00040000L

__DJL_BEGIN_DECLS
int isalnum(int c);
int isalpha(int c);
int isblank(int c);
int iscntrl(int c);
int isdigit(int c);
int isgraph(int c);
int islower(int c);
int isprint(int c);
int ispunct(int c);
int isspace(int c);
int isupper(int c);
int isxdigit(int c);
int isascii(int c);
int tolower(int c);
int toupper(int c);
__DJL_END_DECLS

#endif
