// The library's version, kept equal to the VERSION file at the repository root (a test checks
// it). LOCALSOCKET_VERSION is the "MAJOR.MINOR.PATCH" string; the numeric parts allow
// compile-time checks such as `#if LOCALSOCKET_VERSION_MAJOR >= 1`.
#ifndef LOCALSOCKET_IPC_VERSION_H_
#define LOCALSOCKET_IPC_VERSION_H_

#define LOCALSOCKET_VERSION_MAJOR 0
#define LOCALSOCKET_VERSION_MINOR 1
#define LOCALSOCKET_VERSION_PATCH 0
#define LOCALSOCKET_VERSION "0.1.0"

#endif  // LOCALSOCKET_IPC_VERSION_H_
