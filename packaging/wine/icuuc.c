/* Build-machine stand-in for Windows 10's system icuuc.dll, which Wine 8.0 lacks.
 *
 * Qt6Core.dll imports ICU's converter functions to decode text in encodings Qt does not know itself. Here no
 * converter exists: ucnv_open fails with U_FILE_ACCESS_ERROR and the list of converters is empty, so Qt falls
 * back to its own UTF-8/UTF-16/Latin-1 codecs, which are all TestConnection uses. Like bcryptprimitives.c, it is
 * compiled into the Wine prefix's system32 only and never shipped: a real Windows PC has the real ICU.
 */
#include <stddef.h>
#include <stdint.h>

typedef int UErrorCode;
#define U_FILE_ACCESS_ERROR 4

#define EXPORT __declspec(dllexport)

EXPORT void *ucnv_open(const char *name, UErrorCode *error)
{
    (void)name;
    if (error != NULL && *error <= 0)
        *error = U_FILE_ACCESS_ERROR;
    return NULL;
}

EXPORT int32_t ucnv_countAvailable(void) { return 0; }
EXPORT const char *ucnv_getAvailableName(int32_t n) { (void)n; return NULL; }
EXPORT const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *error)
{
    (void)name; (void)standard;
    if (error != NULL && *error <= 0)
        *error = U_FILE_ACCESS_ERROR;
    return NULL;
}

/* Reached only through a converter, and ucnv_open never returns one: these only have to exist. */
EXPORT void ucnv_close(void *converter) { (void)converter; }
EXPORT void ucnv_reset(void *converter) { (void)converter; }
EXPORT int8_t ucnv_getMaxCharSize(const void *converter) { (void)converter; return 0; }
EXPORT const char *ucnv_getName(const void *converter, UErrorCode *error) { (void)converter; (void)error; return NULL; }
EXPORT void ucnv_getToUCallBack(const void *c, void **action, const void **context) { (void)c; (void)action; (void)context; }
EXPORT void ucnv_getFromUCallBack(const void *c, void **action, const void **context) { (void)c; (void)action; (void)context; }
EXPORT void ucnv_setToUCallBack(void *c, void *a, const void *n, void **oa, const void **oc, UErrorCode *e) { (void)c; (void)a; (void)n; (void)oa; (void)oc; (void)e; }
EXPORT void ucnv_setFromUCallBack(void *c, void *a, const void *n, void **oa, const void **oc, UErrorCode *e) { (void)c; (void)a; (void)n; (void)oa; (void)oc; (void)e; }
EXPORT void ucnv_cbToUWriteUChars(void *args, const uint16_t *s, int32_t l, int32_t o, UErrorCode *e) { (void)args; (void)s; (void)l; (void)o; (void)e; }
EXPORT void ucnv_cbFromUWriteUChars(void *args, const uint16_t **s, const uint16_t *sl, int32_t o, UErrorCode *e) { (void)args; (void)s; (void)sl; (void)o; (void)e; }
EXPORT void ucnv_toUnicode(void *c, uint16_t **t, const uint16_t *tl, const char **s, const char *sl, int32_t *o, int8_t f, UErrorCode *e) { (void)c; (void)t; (void)tl; (void)s; (void)sl; (void)o; (void)f; (void)e; }
EXPORT void ucnv_fromUnicode(void *c, char **t, const char *tl, const uint16_t **s, const uint16_t *sl, int32_t *o, int8_t f, UErrorCode *e) { (void)c; (void)t; (void)tl; (void)s; (void)sl; (void)o; (void)f; (void)e; }
EXPORT int32_t ucnv_toUCountPending(const void *c, UErrorCode *e) { (void)c; (void)e; return 0; }
EXPORT int32_t ucnv_fromUCountPending(const void *c, UErrorCode *e) { (void)c; (void)e; return 0; }
EXPORT void UCNV_TO_U_CALLBACK_SUBSTITUTE(const void *c, void *a, const char *b, int32_t l, int r, UErrorCode *e) { (void)c; (void)a; (void)b; (void)l; (void)r; (void)e; }
EXPORT void UCNV_FROM_U_CALLBACK_SUBSTITUTE(const void *c, void *a, const uint16_t *u, int32_t l, int32_t cp, int r, UErrorCode *e) { (void)c; (void)a; (void)u; (void)l; (void)cp; (void)r; (void)e; }
