/* Build-machine stand-in for Windows 10's bcryptprimitives.dll, which Wine 8.0 lacks.
 *
 * cryptography's Rust core imports ProcessPrng from it (Rust's standard library asks it for random bytes).
 * This forwards to BCryptGenRandom with the system-preferred generator, which Wine implements. It is compiled
 * by packaging/wine_prefix.py into the Wine prefix's system32 only, so PyInstaller counts it as a system DLL and
 * never ships it: a real Windows PC uses its own bcryptprimitives.dll.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
    while (size > 0) {
        ULONG chunk = size > 0x40000000 ? 0x40000000 : (ULONG)size;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += chunk;
        size -= chunk;
    }
    return TRUE;
}
