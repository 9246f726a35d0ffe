/* Darwin <nl_types.h>: the message catalogues libc++'s <locale> templates name. Hand-written for
   cross-building; see jni/platform/macos-arm64/README.md. */
#ifndef _DJL_DARWIN_NL_TYPES_H
#define _DJL_DARWIN_NL_TYPES_H

#include <sys/types.h>

#define NL_CAT_LOCALE 1
typedef struct __nl_cat_d* nl_catd;

__DJL_BEGIN_DECLS
nl_catd catopen(const char* name, int flag);
char* catgets(nl_catd catd, int set_id, int msg_id, const char* s);
int catclose(nl_catd catd);
__DJL_END_DECLS

#endif
